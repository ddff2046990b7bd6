const t0 = performance.now();
for (const m of [
  'zod',
  'zod/mini',
  'libphonenumber-js/min',
  'handlebars',
  './shared/engine/compile.ts',
  './local/memory-store.ts',
  './shared/use-cases/evaluate-trigger.ts',
  './shared/use-cases/customer-data.ts',
  './shared/event-pattern/index.ts',
  './local/import.ts',
  './local/simulate.ts',
  './local/simulate-shards.ts',
]) {
  const t = performance.now();
  await import(m);
  console.log(m, Math.round(performance.now() - t));
}
console.log('total', Math.round(performance.now() - t0));
