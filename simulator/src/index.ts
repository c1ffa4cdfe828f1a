// @hexcast/simulator: virtual devices on the real SDK, city presets, the run report.

export { type BrowsingState, SessionBrowsing } from './browsing.js';
export {
  CATEGORY_NAMES,
  CITY_PRESETS,
  type City,
  type CityFile,
  CityFileSchema,
  distanceM,
  loadCity,
  offsetM,
  type Poi,
} from './city.js';
export { DEMO_TAG, demoCampaign } from './demo.js';
export { type DeviceBehaviour, type Received, VirtualDevice } from './device.js';
export {
  type AttackTally,
  type PaymentSimulationOptions,
  type PaymentSimulationReport,
  simulatePayments,
} from './payments.js';
export { formatPaymentReport, formatReport } from './report.js';
export { type Progress, pool, type SimulationReport, Simulator, type SimulatorOptions } from './simulator.js';
export { type SocialSimulationOptions, type SocialSimulationReport, simulateSocial } from './social.js';
export { startXStandIn, type XRule, type XStandIn, type XTweetInput } from './x-standin.js';
