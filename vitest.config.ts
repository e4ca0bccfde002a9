import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // ui/ component tests choose jsdom with a `@vitest-environment jsdom` comment
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/**/*.test.ts', 'ui/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end suites start real processes and bind ports; keep the 2-core machines unloaded.
    maxWorkers: 2,
    reporters: ['default'],
    setupFiles: ['test/setup.ts'],
  },
});
