import { describe, expect, it } from 'vitest';
import { bundleSdk } from '../helpers/sdk-bundle.js';

/** The budgets in mobile-sdk/README.md ("Size"). Raise them only with a reason in the README. */
const BUDGET_OWN_GZIP = 6 * 1024;
// mqtt.js 5's own browser build is ~105 KiB min+gzip (Buffer and stream polyfills included).
const BUDGET_WITH_MQTT_GZIP = 112 * 1024;

describe('mobile SDK browser bundle size (min+gzip)', () => {
  it('stays within its budget, own code and with mqtt.js', async () => {
    const own = await bundleSdk(false);
    const full = await bundleSdk(true);
    console.info(
      `sdk bundle: own ${own.minBytes} B min, ${own.minGzipBytes} B min+gzip; with mqtt.js ${full.minBytes} B min, ${full.minGzipBytes} B min+gzip`,
    );
    expect(own.code).toContain('hx/d/'); // it is the SDK, not an empty module
    expect(own.code).not.toMatch(/from\s*["']node:/); // nothing server-side
    expect(own.minGzipBytes).toBeLessThanOrEqual(BUDGET_OWN_GZIP);
    expect(full.minGzipBytes).toBeLessThanOrEqual(BUDGET_WITH_MQTT_GZIP);
  });
});
