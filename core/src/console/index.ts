export { consoleCapability } from './capability.js';
export { DeadLetters, type DeadLetterView } from './dead-letters.js';
export { DENSITY_RES, type LiveEvent, type LiveEventType, LiveHub, mayReceive } from './live-hub.js';
export { OpsStatus } from './ops-status.js';
export { type ConsoleRoutesDeps, consoleRoutes } from './routes.js';
