export { createOpsServer, OpsServer, type OpsServerOptions } from './ops-server.js';
