import { campaigns } from '../campaigns/index.js';
import { consoleCapability } from '../console/index.js';
import { delivery } from '../delivery/index.js';
import { devices } from '../devices/index.js';
import { fraud } from '../fraud/index.js';
import { geo } from '../geo/index.js';
import { offers } from '../offers/index.js';
import { recommendations } from '../recommendations/index.js';
import type { Capability } from '../runtime/index.js';
import { sentiment } from '../sentiment/index.js';

/**
 * Every capability this build composes. A new pipeline is a folder under `core/src` exporting a
 * `Capability`, and one line here.
 */
export const CAPABILITIES: readonly Capability[] = [
  devices,
  delivery,
  geo,
  campaigns,
  offers,
  fraud,
  sentiment,
  recommendations,
  consoleCapability,
];
