// Build of the web app that `tidings` embeds (interfaces/src/webapp.rs). `npm run build` writes
// `dist/`, which is committed: the server needs no Node.js, and CI checks that `dist/` equals a
// fresh build of these sources (web/check-dist.sh).
import { defineConfig, type Plugin } from 'vite';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Writes a `.gz` beside every text asset so the server can send it compressed as it is. It runs
 * once the bundle is written (`writeBundle`), so it compresses the final code: in
 * `generateBundle` a chunk that lazily imports one with CSS still holds Vite's preload
 * placeholder (`__VITE_PRELOAD__…`), and a browser sent that gzip copy fails the import.
 */
function precompress(): Plugin {
  return {
    name: 'tidings-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      // `bundle` names the files; their bytes are read back from disk.
      const dir = options.dir ?? 'dist';
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg|json)$/.test(name)) continue;
        // The file as written, whatever the bundle object still holds.
        const bytes = readFileSync(join(dir, name));
        if (bytes.length < 1024) continue;
        writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
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
