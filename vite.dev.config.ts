import { fileURLToPath } from "node:url";
import { cloudflare } from "@cloudflare/vite-plugin";
import { reactRouter } from "@react-router/dev/vite";
import { defineConfig, type Plugin } from "vite";

/**
 * `npm run dev`: the Worker (worker/index.ts, Hono, the queue consumers and the
 * cron) runs in workerd through the Cloudflare Vite plugin, with wrangler.toml's
 * [env.dev] bindings (CLOUDFLARE_ENV=dev) and the local D1 in .wrangler/state that
 * `npm run db:setup` migrates and seeds. Vite rebuilds only the modules a change
 * touches and reloads the Worker without a restart.
 *
 * Development only: `npm run build` (vite.config.ts) makes the production Worker,
 * which `wrangler deploy`, the integration tests and the end-to-end tests run.
 */

// wrangler.toml's development environment, as `wrangler dev --env dev` runs it.
process.env.CLOUDFLARE_ENV ??= "dev";

const serverBuild = fileURLToPath(new URL("./build/server", import.meta.url));

/**
 * worker/index.ts imports the built app (`../build/server`); in development the
 * same import is React Router's live server build, so the Worker entry is the one
 * production runs.
 */
function liveServerBuild(): Plugin {
  return {
    name: "secure-portal:live-server-build",
    enforce: "pre",
    async resolveId(source, importer) {
      if (!importer || !source.endsWith("/build/server")) return null;
      if (fileURLToPath(new URL(source, `file://${importer}`)) !== serverBuild) return null;
      return this.resolve("virtual:react-router/server-build", importer, { skipSelf: true });
    },
  };
}

/**
 * `/__scheduled` (what `wrangler dev --test-scheduled` answers) runs the cron
 * here too; the Cloudflare Vite plugin's own path is /cdn-cgi/handler/scheduled.
 */
function scheduledShortcut(): Plugin {
  return {
    name: "secure-portal:scheduled-shortcut",
    enforce: "pre",
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url === "/__scheduled" || req.url?.startsWith("/__scheduled?")) {
          // The plugin's handler reads originalUrl (connect's copy of the address as sent).
          req.url = req.url.replace("/__scheduled", "/cdn-cgi/handler/scheduled");
          (req as { originalUrl?: string }).originalUrl = req.url;
        }
        next();
      });
    },
  };
}

export default defineConfig(({ command }) => {
  if (command !== "serve") throw new Error("vite.dev.config.ts is for `npm run dev`; build with `npm run build`.");
  return {
    resolve: {
      alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) },
    },
    plugins: [
      scheduledShortcut(),
      liveServerBuild(),
      cloudflare({
        viteEnvironment: { name: "ssr" },
        configPath: "./wrangler.toml",
        inspectorPort: false,
        config: (worker) => {
          // Production sends every path but the built files to the Worker first
          // (wrangler.toml [assets]); here Vite's own modules and styles (/@vite/…,
          // /app/…) must reach Vite, and any other path goes on to the Worker.
          if (worker.assets) worker.assets.run_worker_first = false;
        },
      }),
      reactRouter(),
    ],
    // The address .dev.vars and wrangler.toml [env.dev] name (PUBLIC_ORIGIN, WebAuthn's origin).
    server: { host: "localhost", port: 8787, strictPort: true },
  };
});
