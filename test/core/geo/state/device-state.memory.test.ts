import { MemoryDeviceStateStore } from '@hexcast/core';
import { deviceStateContract } from '../../../contracts/device-state.contract.js';

deviceStateContract('memory', async () => {
  let now = 0;
  return {
    impl: new MemoryDeviceStateStore(() => now),
    advance: async (ms) => {
      now += ms;
    },
    cleanup: async () => undefined,
  };
});
