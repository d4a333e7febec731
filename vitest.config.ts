import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{domain,projections,handlers,adapters,agent,test}/**/*.spec.ts'],
    exclude: ['**/node_modules/**', 'dist/**', 'test/fixtures/**'],
    // Forks, not threads: emulator clients, better-sqlite3 and process-level signal handling behave as in production.
    pool: 'forks',
    testTimeout: 30_000,
    globalSetup: ['test/harness/global-setup.ts'],
  },
});
