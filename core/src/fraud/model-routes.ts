import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { averagePrecision, recallAtFpr } from '@hexcast/models';
import { Type } from '@sinclair/typebox';
import { ERROR_RESPONSES as errors, type RouteOptions } from '../api/index.js';
import type { BusProducer } from '../bus/index.js';
import { type EventRegistry, TOPICS } from '../envelope/index.js';
import { HexcastError } from '../errors/index.js';
import { type ModelCatalog, ModelPublished, ModelWithdrawn } from '../model-feed/index.js';
import type { Records } from '../records/index.js';

export interface ModelRoutesDeps {
  catalog: ModelCatalog;
  records: Records;
  registry: EventRegistry;
  producer: Pick<BusProducer, 'send'>;
}

const SLOTS = { live: 'fraud', candidate: 'fraud.candidate', previous: 'fraud.previous' } as const;

const Slot = Type.Union([Type.Null(), Type.Object({ version: Type.String(), publishedAt: Type.Integer() })]);
const Quality = Type.Object({
  labelled: Type.Integer({ description: 'reviewed payments both models scored' }),
  frauds: Type.Integer(),
  live: Type.Object({
    prAuc: Type.Union([Type.Number(), Type.Null()]),
    recallAt1PctFpr: Type.Union([Type.Number(), Type.Null()]),
  }),
  candidate: Type.Object({
    prAuc: Type.Union([Type.Number(), Type.Null()]),
    recallAt1PctFpr: Type.Union([Type.Number(), Type.Null()]),
  }),
});
const ModelsView = Type.Object({
  live: Slot,
  candidate: Slot,
  previous: Slot,
  shadow: Type.Union([
    Type.Null(),
    Type.Object({
      version: Type.String(),
      scored: Type.Integer({ description: 'payments the candidate scored beside the live model' }),
      agreement: Type.Union([Type.Number(), Type.Null()], {
        description: 'share of them where it would have taken the same action',
      }),
      quality: Quality,
    }),
  ]),
});

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** The fraud model's slots and its shadow candidate's record; promote and roll back in one call. */
export function modelRoutes(deps: ModelRoutesDeps): FastifyPluginAsyncTypebox<RouteOptions> {
  return async (app, { limited }) => {
    const slot = (name: string) => {
      const m = deps.catalog.get(name);
      return m === null ? null : { version: m.version, publishedAt: m.publishedAt };
    };
    const publish = (name: string, version: string, artifact: unknown, by: string) =>
      deps.producer.send(
        TOPICS.models,
        deps.registry.create(ModelPublished, {
          key: name,
          source: { kind: 'api', id: by },
          data: { name, version, artifact },
        }),
      );
    const view = async () => {
      await deps.catalog.open();
      const candidate = deps.catalog.get(SLOTS.candidate);
      let shadow = null;
      if (candidate !== null) {
        const [counts] = await deps.records.query<{ scored: string | number; agree: string | number }>(
          `SELECT count(*) AS scored, count(*) FILTER (WHERE shadow_action = decision) AS agree FROM payments WHERE shadow_version = $1`,
          [candidate.version],
        );
        const labelled = await deps.records.query<{ score: number; shadow_score: number; label: string }>(
          `SELECT score, shadow_score, label FROM payments WHERE shadow_version = $1 AND label IS NOT NULL`,
          [candidate.version],
        );
        const labels = labelled.map((r) => r.label === 'fraud');
        const scored = Number(counts?.scored ?? 0);
        const quality = (scores: number[]) => ({
          prAuc: finite(averagePrecision(scores, labels)),
          recallAt1PctFpr: finite(recallAtFpr(scores, labels, 0.01)),
        });
        shadow = {
          version: candidate.version,
          scored,
          agreement: scored === 0 ? null : Number(counts!.agree) / scored,
          quality: {
            labelled: labelled.length,
            frauds: labels.filter(Boolean).length,
            live: quality(labelled.map((r) => r.score)),
            candidate: quality(labelled.map((r) => r.shadow_score)),
          },
        };
      }
      return {
        live: slot(SLOTS.live),
        candidate: slot(SLOTS.candidate),
        previous: slot(SLOTS.previous),
        shadow,
      };
    };

    app.get('/v1/fraud/models', {
      config: { ...limited, roles: ['reviewer'] as const },
      schema: {
        tags: ['fraud'],
        summary:
          'The live fraud model, its shadow candidate (agreement, quality on reviewed payments) and the previous one',
        response: { 200: ModelsView, ...errors },
      },
      handler: view,
    });

    app.post('/v1/fraud/models/promote', {
      config: { ...limited, roles: ['admin'] as const },
      schema: {
        tags: ['fraud'],
        summary:
          'Make the shadow candidate live (every worker swaps, no restart); the live one becomes the previous',
        response: { 200: ModelsView, ...errors },
      },
      handler: async (request) => {
        await deps.catalog.open();
        const candidate = deps.catalog.get(SLOTS.candidate);
        if (candidate === null)
          throw new HexcastError(
            'HX_MODEL_NOT_FOUND',
            'no candidate to promote (hexcast model publish <dir> --candidate)',
          );
        const live = deps.catalog.get(SLOTS.live);
        const by = request.identity!.id;
        if (live !== null) await publish(SLOTS.previous, live.version, live.artifact, by);
        await publish(SLOTS.live, candidate.version, candidate.artifact, by);
        await deps.producer.send(
          TOPICS.models,
          deps.registry.create(ModelWithdrawn, {
            key: SLOTS.candidate,
            source: { kind: 'api', id: by },
            data: { name: SLOTS.candidate },
          }),
        );
        // The answer shows the slots as every reader of hx.models will see them.
        await deps.catalog.settled(SLOTS.live, candidate.version);
        await deps.catalog.settled(SLOTS.candidate, null);
        return view();
      },
    });

    app.post('/v1/fraud/models/rollback', {
      config: { ...limited, roles: ['admin'] as const },
      schema: {
        tags: ['fraud'],
        summary: 'Put the previous fraud model back live (the one rolled back becomes the previous)',
        response: { 200: ModelsView, ...errors },
      },
      handler: async (request) => {
        await deps.catalog.open();
        const previous = deps.catalog.get(SLOTS.previous);
        if (previous === null)
          throw new HexcastError('HX_MODEL_NOT_FOUND', 'no previous fraud model to roll back to');
        const live = deps.catalog.get(SLOTS.live);
        const by = request.identity!.id;
        if (live !== null) await publish(SLOTS.previous, live.version, live.artifact, by);
        await publish(SLOTS.live, previous.version, previous.artifact, by);
        await deps.catalog.settled(SLOTS.live, previous.version);
        if (live !== null) await deps.catalog.settled(SLOTS.previous, live.version);
        return view();
      },
    });
  };
}
