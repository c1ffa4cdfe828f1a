import { MemoryDeliveryQueue } from '@hexcast/edge-gateway';
import { deliveryQueueContract } from '../contracts/delivery-queue.contract.js';

deliveryQueueContract('memory', async () => ({
  impl: new MemoryDeliveryQueue(8),
  maxPerDevice: 8,
  cleanup: async () => undefined,
}));
