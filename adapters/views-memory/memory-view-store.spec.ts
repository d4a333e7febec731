import { describe } from 'vitest';
import { describeViewStoreContract } from '../../test/contracts/view-store.contract.js';
import { createMemoryViewStore } from './index.js';

describe('[memory] memory view store', () => {
  describeViewStoreContract('view store contract', async () => ({
    views: createMemoryViewStore(),
    cleanup: async () => {},
  }));
});
