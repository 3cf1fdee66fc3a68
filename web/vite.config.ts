// Build of the web app that `tidings` embeds (interfaces/src/web/). `npm run build` writes
// `dist/`, which is committed: the server needs no Node.js, and CI checks that `dist/` equals a
// fresh build of these sources (web/check-dist.sh).
import { defineConfig, type Plugin } from 'vite';
import { gzipSync } from 'node:zlib';

/** Writes a `.gz` beside every text asset so the server can send it compressed as it is. */
function precompress(): Plugin {
  return {
    name: 'tidings-precompress',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [name, item] of Object.entries(bundle)) {
        if (!/\.(js|css|html|svg|json)$/.test(name)) continue;
        const source = item.type === 'chunk' ? item.code : item.source;
        const bytes = typeof source === 'string' ? Buffer.from(source) : Buffer.from(source);
        if (bytes.length < 1024) continue;
        this.emitFile({ type: 'asset', fileName: `${name}.gz`, source: gzipSync(bytes, { level: 9 }) });
      }
    },
  };
}

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
