import { readFileSync } from 'node:fs';
import {
  classOf,
  classReport,
  mineText,
  mineWords,
  parseSentimentFile,
  pearson,
  ruleReason,
  SentimentScorer,
  trainSentiment,
  vaderScores,
  vaderTokens,
} from '@hexcast/models';
import vader from 'vader-sentiment';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../helpers/shared-data.js';

const compound = (text: string) => vaderScores(vaderTokens(text), text).compound;

describe('VADER-style rules', () => {
  it('read negation (any case), degree adverbs, "but", "least", emoticons and emphasis', () => {
    expect(compound('The flight was good')).toBeGreaterThan(0.05);
    expect(compound('The flight was NOT good')).toBeLessThan(-0.05);
    expect(compound("the food wasn't bad at all")).toBeGreaterThan(0.05);
    expect(compound('the crew was extremely good')).toBeGreaterThan(compound('the crew was good'));
    expect(compound('the crew was slightly good')).toBeLessThan(compound('the crew was good'));
    expect(compound('the crew was good!!!')).toBeGreaterThan(compound('the crew was good'));
    expect(compound('the seats were nice but the service was horrible')).toBeLessThan(-0.05);
    expect(compound('this is the least helpful airline')).toBeLessThan(-0.05);
    expect(compound('at least it was good')).toBeGreaterThan(0.05);
    expect(compound('thanks :)')).toBeGreaterThan(0.05);
    expect(compound('3 hours on the tarmac')).toBe(0);
  });

  it("agree with the vader-sentiment package on VADER's tweets (r > 0.97), and beat it on an upper-case negation", () => {
    const { posts } = parseSentimentFile(readFileSync(sharedData('sentiment/tweets_dev.tsv'), 'utf8'));
    const sample = posts.slice(0, 600);
    const ours = sample.map((p) => compound(p.text));
    const theirs = sample.map((p) => vader.SentimentIntensityAnalyzer.polarity_scores(p.text).compound);
    expect(pearson(ours, theirs)).toBeGreaterThan(0.97);
    expect(
      vader.SentimentIntensityAnalyzer.polarity_scores('The flight was NOT good').compound,
    ).toBeGreaterThan(0);
  });
});

describe('text mining', () => {
  it('finds hashtags, mentions, cashtags, links, emoji, negations and intensifiers, and normalises tokens', () => {
    const m = mineText(
      "@united you LOST my bag again!! Not happy 😡 #fail #NeverAgain $UAL https://t.co/x1 3 hours, really can't believe it",
    );
    expect(m.mentions).toEqual(['united']);
    expect(m.hashtags).toEqual(['fail', 'neveragain']);
    expect(m.cashtags).toEqual(['ual']);
    expect(m.urls).toEqual(['https://t.co/x1']);
    expect(m.emoji).toEqual(['😡']);
    expect(m.negations).toBe(2);
    expect(m.intensifiers).toBe(1);
    expect(m.exclamations).toBe(2);
    expect(m.capsWords).toBe(1);
    expect(m.tokens).toContain('@user');
    expect(m.tokens).toContain('<url>');
    expect(m.tokens).toContain('<num>');
    expect(m.tokens).toContain('#fail');
    expect(m.terms).toContain('lost');
    expect(m.terms).not.toContain('you');
    expect(m.vader.compound).toBeLessThan(-0.05);
    expect(ruleReason(m)).toBe('lost_item');
    expect(ruleReason(mineText('@delta cancelled my flight'))).toBe('cancellation');
    expect(ruleReason(mineText('@delta whatever'))).toBe('unknown');
  });

  it('mineWords (brand matching at ingest) reads the same handles, hashtags and tokens as mineText, on every airline tweet', () => {
    const { posts } = parseSentimentFile(
      readFileSync(sharedData('sentiment/airline/airline_tweets_dev.csv'), 'utf8'),
    );
    expect(posts.length).toBeGreaterThan(9000);
    for (const { text } of posts) {
      const { mentions, hashtags, tokens } = mineText(text);
      expect(mineWords(text)).toEqual({ mentions, hashtags, tokens });
    }
  });
});

describe('corpus files', () => {
  it('reads the airline CSV (quoted commas and newlines) and VADER TSV, and names a bad line', () => {
    const csv =
      'tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,tweet_location,user_timezone\n' +
      '1,negative,1.0,Late Flight,1.0,Delta,,ann,,2,"@delta late, again\nand again",,2015-02-24 11:35:52 -0800,,\n' +
      '2,positive,1.0,,,Delta,,bob,,0,@delta thanks,,2015-02-24 11:36:52 -0800,,\n';
    const airline = parseSentimentFile(csv);
    expect(airline.format).toBe('airline');
    expect(airline.posts[0]).toMatchObject({
      id: '1',
      label: 'negative',
      reason: 'delay',
      brand: 'Delta',
      retweets: 2,
    });
    expect(airline.posts[0]!.text).toBe('@delta late, again\nand again');
    expect(airline.posts[1]!.reason).toBeUndefined();
    const tsv = parseSentimentFile('1\t2.5\tgreat day\n3\t0.1\tmeh\n5\t-1.2\tbad\n');
    expect(tsv.posts.map((p) => p.label)).toEqual(['positive', 'neutral', 'negative']);
    expect(tsv.posts[0]!.rating).toBeCloseTo(0.625);
    expect(() => parseSentimentFile('1\tnot-a-number\ttext\n')).toThrow(/line 1/);
    expect(classOf(0.05)).toBe('positive');
    expect(classOf(-0.05)).toBe('negative');
  });

  it('class report: accuracy, macro and weighted F1', () => {
    const r = classReport(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b'], ['a', 'b']);
    expect(r.accuracy).toBeCloseTo(0.75);
    expect(r.f1.a).toBeCloseTo(2 / 3);
    expect(r.f1.b).toBeCloseTo(0.8);
    expect(r.macro_f1).toBeCloseTo((2 / 3 + 0.8) / 2);
  });
});

describe('sentiment model', () => {
  it('learns airline sentiment beyond the rules, fits hx.models, and its JS forward pass gives TF.js predict answers', async () => {
    const { posts } = parseSentimentFile(
      readFileSync(sharedData('sentiment/airline/airline_tweets_dev.csv'), 'utf8'),
    );
    const train = posts.filter((_, i) => i % 5 !== 0).slice(0, 3000);
    const test = posts.filter((_, i) => i % 5 === 0).slice(0, 800);
    const artifact = await trainSentiment(train, { epochs: 4, now: () => new Date('2026-12-01T00:00:00Z') });
    const bytes = Buffer.byteLength(JSON.stringify(artifact));
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(artifact.version).toMatch(/^sentiment-20261201T000000Z-[0-9a-f]{8}$/);
    const scorer = await SentimentScorer.load(artifact);
    const scores = test.map((p) => scorer.score(p.text));
    const model = classReport(
      test.map((p) => p.label),
      scores.map((s) => s.label),
      ['negative', 'neutral', 'positive'],
    );
    const rules = classReport(
      test.map((p) => p.label),
      test.map((p) => classOf(mineText(p.text).vader.compound)),
      ['negative', 'neutral', 'positive'],
    );
    expect(model.accuracy).toBeGreaterThan(rules.accuracy + 0.15);
    for (const s of scores) {
      expect(s.compound).toBeGreaterThanOrEqual(-1);
      expect(s.compound).toBeLessThanOrEqual(1);
      expect(s.reason !== undefined).toBe(s.label === 'negative');
    }
    const reference = scorer.scoreTf(test.slice(0, 20).map((p) => p.text));
    test.slice(0, 20).forEach((p, i) => {
      const s = scorer.score(p.text).probabilities;
      expect(s.negative).toBeCloseTo(reference[i * 3]!, 4);
      expect(s.neutral).toBeCloseTo(reference[i * 3 + 1]!, 4);
      expect(s.positive).toBeCloseTo(reference[i * 3 + 2]!, 4);
    });
    scorer.dispose();
    await expect(SentimentScorer.load({ ...artifact, format: 'other' } as never)).rejects.toThrow(/format/);
  }, 120_000);

  it('trained on human ratings, its compound score is the rating head', async () => {
    const { posts } = parseSentimentFile(readFileSync(sharedData('sentiment/tweets_dev.tsv'), 'utf8'));
    const artifact = await trainSentiment(posts.slice(0, 1500), { epochs: 6 });
    expect(artifact.intensity).toBe(true);
    const scorer = await SentimentScorer.load(artifact);
    const test = posts.slice(1500);
    const r = pearson(
      test.map((p) => scorer.score(p.text).compound),
      test.map((p) => p.rating!),
    );
    expect(r).toBeGreaterThan(0.8);
    scorer.dispose();
  }, 120_000);
});
