import { readFileSync } from 'node:fs';
import { parseEventLines } from './local/simulate.ts';
import { splitLines } from './local/simulate-shards.ts';

const f = '/tmp/s5/big/events.jsonl';
let t = performance.now();
const text = readFileSync(f, 'utf8');
console.log('read', Math.round(performance.now() - t));
t = performance.now();
const s = splitLines(text, 2, () => undefined);
console.log(
  'split',
  Math.round(performance.now() - t),
  s.lines.map((l) => l.length),
);
t = performance.now();
const j = s.lines.map((l) => l.join('\n'));
console.log('join', Math.round(performance.now() - t));
t = performance.now();
const p = parseEventLines(j[0] ?? '');
console.log('parse half', Math.round(performance.now() - t), p.events.length);
t = performance.now();
const q = parseEventLines(text);
console.log('parse all', Math.round(performance.now() - t), q.events.length);
