import { Worker } from 'node:worker_threads';

const t0 = performance.now();
const w = new Worker(new URL('./local/simulate-worker.js', import.meta.url));
w.on('message', (m) => {
  console.log('msg', m.kind, Math.round(performance.now() - t0));
  w.terminate();
});
w.postMessage({
  kind: 'job',
  strategies: [],
  render: false,
  events: { text: '', numbers: new Int32Array(0) },
});
