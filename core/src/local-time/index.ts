export { checkTimeZone, inQuietHours, localTime, type QuietHours } from './quiet-hours.js';
