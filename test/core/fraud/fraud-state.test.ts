import { MemoryFraudState } from '@hexcast/core';
import { fraudStateContract } from '../../contracts/fraud-state.contract.js';

fraudStateContract('memory', async () => ({ impl: new MemoryFraudState(), cleanup: async () => undefined }));
