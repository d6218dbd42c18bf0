import { defineConfig } from "vite";

// The console is served by the gateway at /console/ from the embedded build in
// ../gateway/console (committed: running Grantflow needs no Node).
export default defineConfig({
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../gateway/console",
    emptyOutDir: true,
    target: "es2022",
    // No inline script or data: URL may reach the page (the CSP forbids both).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
