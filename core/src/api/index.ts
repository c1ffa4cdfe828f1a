export { installErrorHandling } from './errors.js';
export { type ApiDeps, type ApiRoutes, buildApi, ERROR_RESPONSES, type RouteOptions } from './server.js';
export { CSRF_HEADER, SESSION_COOKIE, SessionSealer } from './session.js';
