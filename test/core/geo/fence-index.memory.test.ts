import { MemoryFenceIndex } from '@hexcast/core';
import { fenceIndexContract } from '../../contracts/fence-index.contract.js';

fenceIndexContract('memory', async () => ({ impl: new MemoryFenceIndex(), cleanup: async () => undefined }));
