import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Served by the API at /console/ (see core/src/console/routes.ts); no third-party origin at runtime.
export default defineConfig({
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
