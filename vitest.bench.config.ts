import { mergeConfig } from "vitest/config";
import integration from "./vitest.integration.config";

/** `npm run bench`: measurements inside workerd, kept out of `npm test`. */
export default async () => {
  const base = await (integration as unknown as () => Promise<{ test: { include: string[] } }>)();
  const config = mergeConfig(base, { test: { testTimeout: 120_000 } });
  config.test.include = ["tests/bench/**/*.bench.test.ts"];
  return config;
};
