/**
 * What other pipelines know that should stop a coupon: the fraud pipeline's risk for this
 * device, the sentiment pipeline's mood toward the brand. The offer engine asks before issuing;
 * `null` means "no opinion". Later pipelines plug in their own implementation.
 */
export interface Signals {
  /** Fraud risk of the device (0 safe … 1 certain fraud), or null. */
  deviceRisk(deviceId: string): Promise<number | null>;
  /** Recent sentiment toward a brand (−1 … +1; −1 while its posts spike negative), or null. */
  brandSentiment(brand: string): Promise<number | null>;
}

/** No opinion on anything: every coupon passes. */
export const neutralSignals: Signals = {
  deviceRisk: async () => null,
  brandSentiment: async () => null,
};

/** Above this device risk, or below this sentiment, no coupon is issued. */
export interface SignalPolicy {
  maxDeviceRisk: number;
  minBrandSentiment: number;
}

export const DEFAULT_SIGNAL_POLICY: SignalPolicy = { maxDeviceRisk: 0.8, minBrandSentiment: -0.6 };
