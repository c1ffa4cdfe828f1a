export { installErrorHandling } from './errors.js';
export { type ApiDeps, type ApiRoutes, buildApi, ERROR_RESPONSES, type RouteOptions } from './server.js';
