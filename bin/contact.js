#!/usr/bin/env node
// `npx contact ...`: runs the TypeScript CLI through tsx (a dependency of the project's tooling).
import { register } from 'tsx/esm/api';

register();
await import('./contact.ts');
