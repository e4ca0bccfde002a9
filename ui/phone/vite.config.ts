import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The phone app, served by every node at /phone/ under a strict CSP (no inline scripts or styles):
// nothing may be inlined into index.html. `public/` (manifest, icons, sw.js) is copied as is.
export default defineConfig({
  root: import.meta.dirname,
  base: '/phone/',
  plugins: [react()],
  build: {
    outDir: '../dist-phone',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    // libp2p (Noise, Yamux, gossipsub), the mesh engine and React in one chunk: ~1.1 MB, ~340 kB
    // gzipped, fetched once and then served by the service worker's cache
    chunkSizeWarningLimit: 1500,
  },
});
