import { fileURLToPath } from "node:url";
import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vite";

export default defineConfig({
  resolve: {
    alias: { "~": fileURLToPath(new URL("./app", import.meta.url)) },
  },
  plugins: [reactRouter()],
  ssr: {
    // The Worker bundles everything; workerd has no node_modules at run time.
    noExternal: true,
    external: ["node:crypto", "node:buffer"],
    target: "webworker",
    resolve: {
      conditions: ["workerd", "worker", "browser"],
      externalConditions: ["workerd", "worker"],
    },
  },
  build: { minify: true, assetsInlineLimit: 0 },
});
