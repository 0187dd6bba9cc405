import { runMetricsStorageTests } from '../storagetest/suite.ts';
import { MemoryStorage } from './memory-storage.ts';

runMetricsStorageTests({
  name: 'memory',
  open: async () => {
    const storage = new MemoryStorage();
    return { storage, cleanup: () => storage.close() };
  },
});
