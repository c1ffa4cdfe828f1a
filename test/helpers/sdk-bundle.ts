import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ENTRY = new URL('../../mobile-sdk/src/index.ts', import.meta.url).pathname;

/** The SDK's browser build (ESM, minified), with or without mqtt.js, and its min+gzip size. */
export async function bundleSdk(
  withMqtt: boolean,
): Promise<{ code: string; minGzipBytes: number; minBytes: number }> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    external: withMqtt ? [] : ['mqtt'],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  return { code, minBytes: Buffer.byteLength(code), minGzipBytes: gzipSync(code, { level: 9 }).length };
}
