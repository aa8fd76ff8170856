import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: Debian's Chromium (playwright-core) against `wrangler dev`,
 * which tests/setup/e2e-global.ts builds a fresh local database for and starts
 * on a free port.
 */
export default defineConfig({
  // The signed-in-user factory imports the app's own modules (hashing, sealing, cookies).
  resolve: { alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) } },
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./tests/setup/e2e-global.ts"],
    // The longest journeys (registration to sign-out, request to both emails) take 30-45 s on
    // the 2-core machine and about twice that when it is loaded 8 times over.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One wrangler dev, one browser at a time: the machine has two cores.
    fileParallelism: false,
  },
});
