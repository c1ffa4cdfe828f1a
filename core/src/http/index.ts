export { type EventStream, type EventStreamOptions, lastEventId, openEventStream } from './event-stream.js';
export { listenOn } from './listen.js';
export { createOpsServer, OpsServer, type OpsServerOptions } from './ops-server.js';
export { lazyRequestLogger } from './request-logger.js';
export {
  checkHubSignature,
  checkWebhookSignature,
  type SignatureProblem,
  webhookSignature,
} from './signature.js';
