import { defineConfig } from "vitest/config";
import e2e from "./vitest.e2e.config";

/** `npm run test:load`: mixed traffic against the built app on `wrangler dev` (the e2e global setup). */
export default defineConfig({
  ...e2e,
  test: { ...e2e.test, include: ["tests/load/**/*.load.ts"], testTimeout: 10 * 60_000 },
});
