export { type HealthOptions, healthPlugin } from './health.js';
export { createLogger, type Logger, silentLogger } from './logger.js';
export { METRIC_PREFIX, Metrics } from './metrics.js';
