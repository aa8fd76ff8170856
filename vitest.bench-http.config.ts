import { defineConfig } from "vitest/config";
import e2e from "./vitest.e2e.config";

/**
 * `npm run bench`'s HTTP part: the built app on `wrangler dev` (started by the
 * e2e global setup), loaded with fixed concurrency beside a bare Hono worker.
 */
export default defineConfig({
  ...e2e,
  test: {
    ...e2e.test,
    include: ["tests/bench/http.bench.e2e.ts"],
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
  },
});
