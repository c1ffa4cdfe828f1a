import { normal, poisson, seededRandom } from '../random.js';

/**
 * The payment a merchant submits (`POST /v1/payments`, `hx.payments`): ids and fingerprints,
 * never a card number. Core's `Payment` schema validates exactly this shape (a test holds the
 * generator's output to it).
 */
export interface PaymentRecord {
  paymentId: string;
  merchantId: string;
  /** Major units (12.5 = €12.50). */
  amount: number;
  /** ISO 4217. */
  currency: string;
  card: { fingerprint: string; binCountry: string };
  customer: { id: string; emailHash: string; accountCreatedAt?: number };
  /** The Hexcast SDK's device id, when the payment comes from an app that embeds it. */
  deviceId?: string;
  ip?: string;
  billing?: Address;
  shipping?: Address;
  items?: Array<{ sku: string; quantity: number; unitPrice: number }>;
  /** Epoch ms. */
  createdAt: number;
}

export interface Address {
  /** ISO 3166-1 alpha-2. */
  country: string;
  lat?: number;
  lng?: number;
}

export type Attack = 'none' | 'card-testing' | 'takeover' | 'ring' | 'friendly';

/** A generated payment with its truth, and where the device was when it was made (if tracked). */
export interface LabelledPayment {
  payment: PaymentRecord;
  fraud: boolean;
  attack: Attack;
  devicePosition: { lat: number; lng: number; at: number } | null;
}

export interface PaymentsOptions {
  customers?: number;
  merchants?: number;
  days?: number;
  seed?: number;
  /** First day's midnight, epoch ms (default 2026-11-01T00:00Z). */
  start?: number;
  /** Mean legitimate payments per customer per day. */
  paymentsPerCustomerDay?: number;
  /** Attack campaigns per day per 10,000 customers, per kind (defaults: a ~0.6% fraud rate). */
  cardTestingPerDay?: number;
  takeoversPerDay?: number;
  ringsPerDay?: number;
  /** Share of legitimate payments later disputed (labelled fraud: label noise). */
  friendlyFraudRate?: number;
}

const CITIES = [
  { name: 'paris', country: 'FR', lat: 48.8566, lng: 2.3522 },
  { name: 'lyon', country: 'FR', lat: 45.764, lng: 4.8357 },
  { name: 'berlin', country: 'DE', lat: 52.52, lng: 13.405 },
  { name: 'munich', country: 'DE', lat: 48.1351, lng: 11.582 },
  { name: 'madrid', country: 'ES', lat: 40.4168, lng: -3.7038 },
  { name: 'milan', country: 'IT', lat: 45.4642, lng: 9.19 },
  { name: 'amsterdam', country: 'NL', lat: 52.3676, lng: 4.9041 },
  { name: 'warsaw', country: 'PL', lat: 52.2297, lng: 21.0122 },
  { name: 'lisbon', country: 'PT', lat: 38.7223, lng: -9.1393 },
  { name: 'london', country: 'GB', lat: 51.5072, lng: -0.1276 },
] as const;
/** Where stolen cards and attackers come from, besides the customers' own cities. */
const FAR = [
  { name: 'lagos', country: 'NG', lat: 6.5244, lng: 3.3792 },
  { name: 'sao-paulo', country: 'BR', lat: -23.5505, lng: -46.6333 },
  { name: 'jakarta', country: 'ID', lat: -6.2088, lng: 106.8456 },
  { name: 'new-york', country: 'US', lat: 40.7128, lng: -74.006 },
] as const;
type Place = { country: string; lat: number; lng: number };

const DAY = 86_400_000;
const MINUTE = 60_000;

interface Customer {
  id: string;
  emailHash: string;
  accountCreatedAt: number;
  home: Place;
  cards: Array<{ fingerprint: string; binCountry: string }>;
  devices: Array<{ id: string; tracked: boolean }>;
  ips: string[];
  /** ln of the typical amount. */
  spend: number;
}

/**
 * Generates payments over `days` days, sorted by time, with the attacks documented in
 * docs/fraud.md: card-testing bursts (one device and IP trying many fresh cards with small
 * amounts within minutes), account takeovers (a victim's account used from a new, far-away device
 * and IP, for several times their usual amount, shipped elsewhere), fraud rings (new accounts
 * sharing a few devices and IPs), and friendly fraud (a genuine payment disputed later: label
 * noise no feature can explain). Legitimate customers travel, change phones and send gifts, so
 * none of the attack signs is a give-away on its own. Reproducible from `seed`.
 */
export function generatePayments(options: PaymentsOptions = {}): LabelledPayment[] {
  const random = seededRandom(options.seed ?? 1);
  const days = options.days ?? 14;
  const start = options.start ?? Date.UTC(2026, 10, 1);
  const ids = new Ids(random);
  const merchants = Array.from(
    { length: options.merchants ?? 12 },
    (_, i) => `m-${String(i + 1).padStart(3, '0')}`,
  );
  const customers = Array.from({ length: options.customers ?? 10_000 }, () =>
    newCustomer(random, ids, start),
  );
  const out: LabelledPayment[] = [];
  const at = (day: number) => start + day * DAY + Math.floor(random() * DAY);
  const rate = options.paymentsPerCustomerDay ?? 0.25;
  const scale = customers.length / 10_000;
  const friendly = options.friendlyFraudRate ?? 0.0004;

  for (let day = 0; day < days; day++) {
    // Some customers travel today: their phone is elsewhere, their IP is a hotel's.
    for (const c of customers) {
      const n = poisson(random, rate);
      if (n === 0) continue;
      const travelling = random() < 0.04;
      const where: Place = travelling ? near(random, pickOne(random, CITIES), 8) : near(random, c.home, 6);
      for (let k = 0; k < n; k++) {
        if (random() < 0.003) c.devices.push({ id: ids.next('dev'), tracked: random() < 0.7 });
        const device = pickOne(random, c.devices);
        const ip = travelling ? ids.ip() : pickOne(random, c.ips);
        const card = pickOne(random, c.cards);
        const amount = round2(Math.exp(c.spend + 0.6 * normal(random)));
        const gift = random() < 0.05;
        const shipping: Place = gift ? near(random, pickOne(random, CITIES), 5) : near(random, c.home, 1);
        const createdAt = at(day);
        const disputed = random() < friendly;
        out.push({
          payment: payment(ids, {
            merchantId: pickOne(random, merchants),
            amount,
            card,
            customer: c,
            deviceId: device.id,
            ip,
            billing: c.home,
            shipping,
            createdAt,
          }),
          fraud: disputed,
          attack: disputed ? 'friendly' : 'none',
          devicePosition: device.tracked
            ? { ...round(where), at: createdAt - Math.floor(random() * 20 * MINUTE) }
            : null,
        });
      }
    }

    // Card testing: one device and one IP, many fresh cards, small amounts, within minutes.
    for (let b = poisson(random, (options.cardTestingPerDay ?? 0.25) * scale); b > 0; b--) {
      const device = ids.next('dev');
      const ip = ids.ip();
      const origin = pickOne(random, FAR);
      const merchantId = pickOne(random, merchants.slice(0, 3));
      let t = at(day);
      const cards = 12 + Math.floor(random() * 30);
      for (let k = 0; k < cards; k++) {
        t += Math.floor(random() * 25_000);
        const fake = newCustomer(random, ids, t - DAY * 2 * random());
        out.push({
          payment: payment(ids, {
            merchantId,
            amount: round2(0.5 + random() * 2.5),
            card: { fingerprint: ids.next('card'), binCountry: pickOne(random, [...CITIES, ...FAR]).country },
            customer: fake,
            deviceId: device,
            ip,
            billing: fake.home,
            shipping: fake.home,
            createdAt: t,
          }),
          fraud: true,
          attack: 'card-testing',
          devicePosition: random() < 0.5 ? { ...round(near(random, origin, 20)), at: t - MINUTE } : null,
        });
      }
    }

    // Account takeover: the victim's account, a new device far away, a new IP, large amounts.
    for (let b = poisson(random, (options.takeoversPerDay ?? 2) * scale); b > 0; b--) {
      const victim = pickOne(random, customers);
      const device = ids.next('dev');
      const ip = ids.ip();
      const far = random() < 0.5 ? pickOne(random, FAR) : pickOne(random, CITIES);
      const drop = near(random, far, 10);
      let t = at(day);
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        t += Math.floor(random() * 40 * MINUTE);
        out.push({
          payment: payment(ids, {
            merchantId: pickOne(random, merchants),
            amount: round2(Math.exp(victim.spend) * (3 + random() * 9)),
            card: pickOne(random, victim.cards),
            customer: victim,
            deviceId: device,
            ip,
            billing: victim.home,
            shipping: drop,
            createdAt: t,
          }),
          fraud: true,
          attack: 'takeover',
          devicePosition: random() < 0.8 ? { ...round(near(random, far, 15)), at: t - 5 * MINUTE } : null,
        });
      }
    }

    // A fraud ring: fresh accounts sharing a handful of devices and IPs, shipping to two drops.
    for (let r = poisson(random, (options.ringsPerDay ?? 0.2) * scale); r > 0; r--) {
      const devices = Array.from({ length: 3 + Math.floor(random() * 3) }, () => ids.next('dev'));
      const ips = [ids.ip(), ids.ip()];
      const base = pickOne(random, CITIES);
      const drops = [near(random, base, 15), near(random, base, 15)];
      let t = at(day);
      for (let k = 8 + Math.floor(random() * 10); k > 0; k--) {
        t += Math.floor(random() * 90 * MINUTE);
        const member = newCustomer(random, ids, t - DAY * 3 * random());
        for (let p = 1 + Math.floor(random() * 2); p > 0; p--)
          out.push({
            payment: payment(ids, {
              merchantId: pickOne(random, merchants),
              amount: round2(150 + random() * 450),
              card: member.cards[0]!,
              customer: member,
              deviceId: pickOne(random, devices),
              ip: pickOne(random, ips),
              billing: member.home,
              shipping: pickOne(random, drops),
              createdAt: t + p * MINUTE,
            }),
            fraud: true,
            attack: 'ring',
            devicePosition: random() < 0.6 ? { ...round(near(random, base, 10)), at: t } : null,
          });
      }
    }
  }
  return out.sort((a, b) => a.payment.createdAt - b.payment.createdAt);
}

/** Splits generated payments by day: the first `trainDays` days to train on, the rest to test on. */
export function splitByDay(
  payments: readonly LabelledPayment[],
  trainDays: number,
  start = Date.UTC(2026, 10, 1),
): { train: LabelledPayment[]; test: LabelledPayment[] } {
  const cut = start + trainDays * DAY;
  return {
    train: payments.filter((p) => p.payment.createdAt < cut),
    test: payments.filter((p) => p.payment.createdAt >= cut),
  };
}

function payment(
  ids: Ids,
  p: {
    merchantId: string;
    amount: number;
    card: { fingerprint: string; binCountry: string };
    customer: Customer;
    deviceId: string;
    ip: string;
    billing: Place;
    shipping: Place;
    createdAt: number;
  },
): PaymentRecord {
  return {
    paymentId: ids.next('pay'),
    merchantId: p.merchantId,
    amount: p.amount,
    currency: 'EUR',
    card: { ...p.card },
    customer: {
      id: p.customer.id,
      emailHash: p.customer.emailHash,
      accountCreatedAt: p.customer.accountCreatedAt,
    },
    deviceId: p.deviceId,
    ip: p.ip,
    billing: { country: p.billing.country, ...round(p.billing) },
    shipping: { country: p.shipping.country, ...round(p.shipping) },
    items: [{ sku: `sku-${Math.floor(p.amount) % 97}`, quantity: 1, unitPrice: p.amount }],
    createdAt: p.createdAt,
  };
}

function newCustomer(random: () => number, ids: Ids, now: number): Customer {
  const city = pickOne(random, CITIES);
  const expat = random() < 0.03;
  const binCountry = expat ? pickOne(random, CITIES).country : city.country;
  const id = ids.next('cus');
  return {
    id,
    emailHash: ids.hex(),
    accountCreatedAt: Math.floor(now - (30 + random() * 1500) * DAY),
    home: near(random, city, 10),
    cards: Array.from({ length: random() < 0.3 ? 2 : 1 }, () => ({
      fingerprint: ids.next('card'),
      binCountry,
    })),
    devices: Array.from({ length: random() < 0.3 ? 2 : 1 }, () => ({
      id: ids.next('dev'),
      tracked: random() < 0.7,
    })),
    ips: Array.from({ length: random() < 0.5 ? 2 : 1 }, () => ids.ip()),
    spend: Math.log(15 + random() * 80),
  };
}

/** A point within about `km` of `place`. */
function near(random: () => number, place: Place, km: number): Place {
  const dLat = (normal(random) * km) / 111;
  const dLng = (normal(random) * km) / (111 * Math.cos((place.lat * Math.PI) / 180));
  return { country: place.country, lat: place.lat + dLat, lng: place.lng + dLng };
}

function round(p: { lat: number; lng: number }): { lat: number; lng: number } {
  return { lat: Math.round(p.lat * 1e5) / 1e5, lng: Math.round(p.lng * 1e5) / 1e5 };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function pickOne<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

class Ids {
  #n = 0;
  constructor(readonly random: () => number) {}
  next(prefix: string): string {
    return `${prefix}_${(++this.#n).toString(36).padStart(6, '0')}`;
  }
  hex(): string {
    return Array.from({ length: 4 }, () =>
      Math.floor(this.random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0'),
    ).join('');
  }
  ip(): string {
    const r = this.random;
    return `${10 + Math.floor(r() * 200)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  }
}
