import { MemoryEligibilityStore } from '@hexcast/core';
import { eligibilityContract } from '../../contracts/eligibility.contract.js';

eligibilityContract('memory', async () => ({
  impl: new MemoryEligibilityStore(),
  cleanup: async () => undefined,
}));
