import type { Engine } from '#shared/engine/compile.ts';
import { type PrecompiledTemplate, usePrecompiledTemplates } from '#shared/engine/render.ts';
import { engine } from './engine.ts';
import { once } from './lazy.ts';

declare global {
  /**
   * The templates the build precompiled: esbuild's `define` turns this expression into the export of
   * the module the build injects (infra/constructs/function-bundling.ts). Undefined locally, where
   * templates are compiled on first use.
   */
  var __contactPrecompiledTemplates: readonly PrecompiledTemplate[] | undefined;
}

/**
 * The engine of a function that renders messages (evaluate, deferred, next-best-offer): in a Lambda
 * bundle its templates come precompiled, so Handlebars' compiler is never needed (nor bundled).
 * Functions that only decide or record use `engine()` and carry no templates' code at all.
 */
export const renderingEngine = /* @__PURE__ */ once((): Engine => {
  const built = engine();
  const specs = globalThis.__contactPrecompiledTemplates;
  if (specs) usePrecompiledTemplates(specs);
  return built;
});
