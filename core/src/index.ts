export * from './bench/index.js';
export * from './broker/index.js';
export * from './config/index.js';
export * from './envelope/index.js';
export * from './errors/index.js';
export * from './http/ops-server.js';
export * from './lifecycle/index.js';
export * from './observability/index.js';
