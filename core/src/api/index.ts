export { installErrorHandling } from './errors.js';
export { type ApiDeps, buildApi } from './server.js';
