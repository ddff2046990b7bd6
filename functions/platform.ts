/**
 * The composition root, by concern: configuration parsed once, clients and adapters built once per
 * container and only for what a function uses (each getter is lazy), wired into the use cases. Local
 * servers are reached through `AWS_ENDPOINT_URL_*` alone; nothing here knows "local".
 *
 * Each function imports the parts it uses from `./platform/<concern>.ts`, so its bundle carries only
 * those adapters and SDK clients. This module re-exports them all for the local runtime, which runs
 * every handler in one process.
 */
export { customerDataDeps } from './platform/customer-data.ts';
export { deadLetters } from './platform/dead-letters.ts';
export { deliverDeps } from './platform/delivery.ts';
export { emitter } from './platform/emitter.ts';
export { engine, store } from './platform/engine.ts';
export { evaluateDeps } from './platform/evaluation.ts';
export { flushMetrics, logger, metrics, observe } from './platform/observability.ts';
export { renderingEngine } from './platform/rendering.ts';
export { linkKey } from './platform/secrets.ts';
