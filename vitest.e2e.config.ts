import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: Debian's Chromium (playwright-core) against `wrangler dev`,
 * which tests/setup/e2e-global.ts builds a fresh local database for and starts
 * on a free port.
 */
export default defineConfig({
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./tests/setup/e2e-global.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One wrangler dev, one browser at a time: the machine has two cores.
    fileParallelism: false,
  },
});
