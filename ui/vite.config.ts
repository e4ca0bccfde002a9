import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The node serves the built panel at /ui/ (src/api/routes/ui.ts) under a strict CSP: no inline
// scripts or styles, so nothing may be inlined into index.html.
export default defineConfig({
  root: import.meta.dirname,
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
});
