import { defineConfig, type Plugin } from 'vite';

/** Absolute path of a file relative to this config (no Node imports, so it type-checks against DOM libs). */
const here = (relative: string): string => decodeURIComponent(new URL(relative, import.meta.url).pathname);

/**
 * The dashboard consumes `@ma/protocol` for types only (`import type`). Fail the build loudly if a runtime
 * import slips in, rather than silently bundling zod and the schemas.
 */
function typesOnlyProtocol(): Plugin {
  return {
    name: 'ma-types-only-protocol',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === 'zod' || source.startsWith('zod/')) {
        throw new Error(`@ma/web must not bundle zod (imported from ${importer ?? '?'}); import protocol types with \`import type\``);
      }
      return null;
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [typesOnlyProtocol()],
  resolve: {
    alias: { '@ma/protocol': here('../protocol/src/index.ts') },
  },
  esbuild: {
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: 'http://localhost:8080', changeOrigin: true, ws: true },
    },
  },
});
