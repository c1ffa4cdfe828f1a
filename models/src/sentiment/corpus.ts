import { parse } from 'csv-parse/sync';

// The labelled text of `shared/data/sentiment/`: the airline tweets (CSV, labels and negative
// reasons) and VADER's human-rated texts (TSV `id  mean-rating  text`).

export const SENTIMENT_CLASSES = ['negative', 'neutral', 'positive'] as const;
export type SentimentClass = (typeof SENTIMENT_CLASSES)[number];

/**
 * Why a post is negative. The airline data set's reasons, named for any brand; `unknown` is its
 * "Can't Tell".
 */
export const NEGATIVE_REASONS = [
  'service',
  'delay',
  'cancellation',
  'lost_item',
  'damaged_item',
  'product_quality',
  'booking',
  'staff',
  'waiting',
  'billing',
  'unknown',
] as const;
export type NegativeReason = (typeof NEGATIVE_REASONS)[number];

const AIRLINE_REASONS: Readonly<Record<string, NegativeReason>> = {
  'Customer Service Issue': 'service',
  'Late Flight': 'delay',
  'Cancelled Flight': 'cancellation',
  'Lost Luggage': 'lost_item',
  'Damaged Luggage': 'damaged_item',
  'Bad Flight': 'product_quality',
  'Flight Booking Problems': 'booking',
  'Flight Attendant Complaints': 'staff',
  longlines: 'waiting',
  "Can't Tell": 'unknown',
};

export interface LabelledPost {
  id: string;
  text: string;
  label: SentimentClass;
  /** Negative posts of the airline set: why. */
  reason?: NegativeReason;
  /** Human mean rating normalised to −1 … 1 (VADER's files: the −4 … +4 mean divided by 4). */
  rating?: number;
  /** The airline set's brand, author, retweets and time. */
  brand?: string;
  author?: string;
  retweets?: number;
  createdAt?: string;
}

/** VADER's three-class reading of a normalised score: ≥ 0.05 positive, ≤ −0.05 negative. */
export function classOf(score: number): SentimentClass {
  return score >= 0.05 ? 'positive' : score <= -0.05 ? 'negative' : 'neutral';
}

/** Parses either file format, told apart by its first line. A bad line is an error naming it. */
export function parseSentimentFile(text: string): { format: 'airline' | 'vader'; posts: LabelledPost[] } {
  return text.startsWith('tweet_id,')
    ? { format: 'airline', posts: parseAirline(text) }
    : { format: 'vader', posts: parseVader(text) };
}

function parseAirline(text: string): LabelledPost[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: false }) as Array<
    Record<string, string>
  >;
  return rows.map((row, n) => {
    const label = row.airline_sentiment as SentimentClass;
    if (!SENTIMENT_CLASSES.includes(label))
      throw new Error(`record ${n + 1}: unknown airline_sentiment ${label}`);
    const reason = row.negativereason ? AIRLINE_REASONS[row.negativereason] : undefined;
    return {
      id: row.tweet_id ?? String(n),
      text: row.text ?? '',
      label,
      ...(label === 'negative' && reason !== undefined ? { reason } : {}),
      ...(row.airline ? { brand: row.airline } : {}),
      ...(row.name ? { author: row.name } : {}),
      retweets: Number(row.retweet_count) || 0,
      ...(row.tweet_created ? { createdAt: row.tweet_created } : {}),
    };
  });
}

function parseVader(text: string): LabelledPost[] {
  const posts: LabelledPost[] = [];
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    const first = line.indexOf('\t');
    const second = line.indexOf('\t', first + 1);
    const mean = Number(line.slice(first + 1, second));
    if (first < 0 || second < 0 || !Number.isFinite(mean))
      throw new Error(`line ${n + 1}: not "id <tab> mean rating <tab> text"`);
    const rating = mean / 4;
    posts.push({ id: line.slice(0, first), text: line.slice(second + 1), label: classOf(rating), rating });
  });
  return posts;
}
