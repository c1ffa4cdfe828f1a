import type { Capability } from '../runtime/index.js';
import { DELIVERY_EVENTS } from './events.js';

/** The contract between the offer engine and the gateways: `hx.deliveries.<region>` and `hx.receipts`. */
export const delivery: Capability = { name: 'delivery', events: DELIVERY_EVENTS };
