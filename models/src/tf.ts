import type * as Tf from '@tensorflow/tfjs';

export type TfModule = typeof Tf;

let loading: Promise<TfModule> | undefined;

/**
 * TF.js, loaded on first use (the CLI's other commands never pay for it): the native
 * `@tensorflow/tfjs-node` when it is installed, else `@tensorflow/tfjs` on its pure-JS CPU backend.
 */
export function loadTf(): Promise<TfModule> {
  loading ??= (async () => {
    const native = '@tensorflow/tfjs-node';
    try {
      const tf = (await import(native)) as TfModule;
      await tf.ready();
      return tf;
    } catch {
      const tf = await import('@tensorflow/tfjs');
      // Production mode skips per-op debug checks, and the "install tfjs-node" console banner:
      // callers log the backend they got (`tf.getBackend()`) instead.
      tf.enableProdMode();
      await tf.setBackend('cpu');
      await tf.ready();
      return tf;
    }
  })();
  return loading;
}
