export { type HealthOptions, healthPlugin, type Readiness, type ReadinessChecks } from './health.js';
export { HotCount, HotCounter, HotHistogram, type MetricExposition } from './hot-metrics.js';
export { createLogger, type Logger, prettyLogs, processLogger, silentLogger } from './logger.js';
export { METRIC_PREFIX, Metrics } from './metrics.js';
