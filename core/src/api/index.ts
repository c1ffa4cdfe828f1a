export { type ApiDeps, buildApi } from './server.js';
