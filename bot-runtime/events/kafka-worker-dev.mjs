// The Kafka thread when the runtime runs from TypeScript sources (npm run bot via tsx, Jest):
// a worker thread does not inherit a loader registered in-process, so register tsx here first.
// The compiled image starts dist/.../kafka-worker.js directly and never loads this file.
import { register } from 'tsx/esm/api';

register();
await import('./kafka-worker.ts');
