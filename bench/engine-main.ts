import { engineThroughput } from './engine.ts';

console.log(JSON.stringify(engineThroughput(100000)));
