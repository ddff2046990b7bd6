// A `contact simulate --workers N` worker thread: loads the TypeScript modules through tsx, as
// bin/contact.js does, then runs local/simulate-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./simulate-worker.ts');
