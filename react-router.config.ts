import type { Config } from "@react-router/dev/config";

/**
 * React Router framework mode (Remix's successor). Every page is rendered on the
 * server and works without JavaScript; Hono (worker/index.ts) is the Worker's
 * entry and hands screens to the request handler built from this app.
 */
export default {
  appDirectory: "app",
  buildDirectory: "build",
  ssr: true,
  future: { v8_viteEnvironmentApi: true },
} satisfies Config;
