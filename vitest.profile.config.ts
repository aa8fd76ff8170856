import { defineConfig } from "vitest/config";
import e2e from "./vitest.e2e.config";
export default defineConfig({ ...e2e, test: { ...e2e.test, include: ["tests/bench/profile.e2e.ts"], testTimeout: 600_000 } });
