import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  auc,
  FEATURES,
  featureVector,
  generateHistory,
  heuristicScorer,
  readPropensityArtifact,
  splitByUser,
  TfPropensityScorer,
  trainPropensity,
  writeArtifact,
} from '@hexcast/models';
import { describe, expect, it } from 'vitest';

describe('AUC', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 with ties, NaN with one class', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5);
    // One positive above one of two negatives: 0.5.
    expect(auc([0.3, 0.5, 0.7], [false, true, false])).toBe(0.5);
    expect(auc([0.1, 0.2], [true, true])).toBeNaN();
  });
});

describe('generated history', () => {
  it('is reproducible from its seed, and the held-out split shares no user', () => {
    const a = generateHistory({ users: 50, offersPerUser: 5, seed: 3 });
    const b = generateHistory({ users: 50, offersPerUser: 5, seed: 3 });
    const c = generateHistory({ users: 50, offersPerUser: 5, seed: 4 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const { train, test } = splitByUser(a);
    expect(train.length + test.length).toBe(a.length);
    const trainUsers = new Set(train.map((e) => e.user));
    expect(test.some((e) => trainUsers.has(e.user))).toBe(false);
    expect(test.length).toBeGreaterThan(0);
    // Features are finite and in FEATURES order.
    for (const e of a) {
      const v = featureVector(e.input);
      expect(v).toHaveLength(FEATURES.length);
      expect(v.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('the TF.js propensity model', () => {
  it('learns the behaviour model better than the heuristic on held-out users, and its artifacts round-trip', async () => {
    const history = generateHistory({ users: 2500, offersPerUser: 10, seed: 11 });
    const { train, test } = splitByUser(history);
    const artifact = await trainPropensity(train, { heldOut: test, epochs: 10 });
    const e = artifact.evaluation!;
    expect(e.heldOut).toBe(test.length);
    // The behaviour model has signal the heuristic ignores (time of day, dwell): the model must find it.
    expect(e.auc).toBeGreaterThan(e.heuristicAuc);
    expect(e.heuristicAuc).toBeGreaterThan(0.6);
    expect(artifact.version).toMatch(/^propensity-\d{8}T\d{6}Z-[0-9a-f]{8}$/);

    const dir = mkdtempSync(path.join(tmpdir(), 'hx-model-'));
    try {
      await writeArtifact(dir, artifact);
      // The standard TF.js layers layout: model.json with a weights manifest, weights.bin.
      const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
      const loaded = await TfPropensityScorer.load(await readPropensityArtifact(dir));
      const fresh = await TfPropensityScorer.load(artifact);
      const inputs = test.slice(0, 50).map((x) => x.input);
      expect(Array.from(await loaded.score(inputs))).toEqual(Array.from(await fresh.score(inputs)));
      expect(loaded.version).toBe(artifact.version);
      // Concurrent calls are batched into one tensor: each still gets exactly its own scores.
      const one = await Promise.all(inputs.map((x) => fresh.score([x])));
      const together = await fresh.score(inputs);
      for (let i = 0; i < inputs.length; i++) expect(one[i]![0]).toBeCloseTo(together[i]!, 5);
      const pending = fresh.score(inputs.slice(0, 3));
      fresh.dispose(); // what waits is scored before the model goes
      expect(await pending).toHaveLength(3);
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses an artifact of another format or feature list', async () => {
    const history = generateHistory({ users: 100, offersPerUser: 5, seed: 2 });
    const artifact = await trainPropensity(history, { epochs: 1 });
    await expect(TfPropensityScorer.load({ ...artifact, format: 'other' as never })).rejects.toThrow(
      /format/,
    );
    await expect(TfPropensityScorer.load({ ...artifact, features: ['a', 'b'] })).rejects.toThrow(/features/);
    expect((await heuristicScorer.score([history[0]!.input]))[0]).toBeGreaterThan(0);
  }, 60_000);
});
