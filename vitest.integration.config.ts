import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

/**
 * Integration tests run inside workerd: the real Worker (Hono + the built Remix
 * server, so run `npm run build` first), real D1 with the real migrations, and
 * queue batches handed to the consumer.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url)));
  // What a plain `wrangler deploy` (no --env) would run with, read the way wrangler
  // reads it, so tests can start the Worker with production's own variables.
  const production = unstable_readConfig({ config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)) });
  return {
    plugins: [
      cloudflareTest({
        main: "./worker/index.ts",
        // The top level of wrangler.toml is production; tests run the [env.dev]
        // Worker, as `npm run dev` does (tests that need production say so).
        wrangler: { configPath: "./wrangler.toml", environment: "dev" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: "development",
            // Test-only key (32 bytes, base64); production uses a secret.
            TOTP_ENCRYPTION_KEY: "dGVzdC1vbmx5LXRvdHAta2V5LTMyLWJ5dGVzLWxvbmc=",
            OIDC_KEY_SECRET: "dGVzdC1vbmx5LW9pZGMta2V5LXNlY3JldC0zMi1ieXQ=",
          },
        },
      }),
    ],
    // Remix's server runtime resolves to its CommonJS build under workerd.
    resolve: {
      mainFields: ["main"],
      alias: {
        "~": fileURLToPath(new URL("./app", import.meta.url)),
        // "main" resolves these to CommonJS builds that workerd's module loader
        // cannot run; tests that import the WebAuthn service need their ES builds.
        "@peculiar/x509": fileURLToPath(new URL("./node_modules/@peculiar/x509/build/x509.es.js", import.meta.url)),
        tsyringe: fileURLToPath(new URL("./node_modules/tsyringe/dist/esm5/index.js", import.meta.url)),
      },
    },
    test: {
      include: ["tests/integration/**/*.test.ts"],
      // Journeys through several emails take a few seconds; on a busy 2-core machine, more.
      testTimeout: 30_000,
      // Seeding in a beforeAll likewise (the default of 10 s is not enough under load).
      hookTimeout: 60_000,
      setupFiles: ["./tests/setup/apply-migrations.ts"],
      provide: { productionVars: production.vars as Record<string, string> },
    },
  };
});
