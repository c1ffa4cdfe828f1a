import { LIVE_FENCES, MemoryFenceIndex } from '../geo/index.js';
import { type Capability, port, provide, type ServiceContext } from '../runtime/index.js';
import { CampaignFeed, CampaignPublisher } from './campaign-feed.js';
import { CampaignRepository } from './campaign-repository.js';
import { CAMPAIGN_EVENTS } from './events.js';
import { FenceCatalogue } from './fence-catalogue.js';
import { campaignRoutes } from './routes.js';

/** The process's one fence catalogue, kept in step with `hx.campaigns` by its feed. */
export const FENCE_CATALOGUE = port<FenceCatalogue>('campaigns.fence-catalogue');

function catalogue(ctx: ServiceContext) {
  const value = new FenceCatalogue(new MemoryFenceIndex());
  ctx.metrics.gauge({
    name: 'campaigns_live_fences',
    help: "fences live in this process's catalogue (active campaigns within their schedule)",
    collect: (gauge) => gauge.set(value.liveCount),
  });
  return { value, components: [new CampaignFeed({ ...ctx, catalogue: value })] };
}

export const campaigns: Capability = {
  name: 'campaigns',
  events: CAMPAIGN_EVENTS,
  provides: [
    provide(FENCE_CATALOGUE, catalogue),
    provide(LIVE_FENCES, (ctx: ServiceContext) => ({ value: ctx.use(FENCE_CATALOGUE) })),
  ],
  routes: (ctx) => {
    const catalogue = ctx.use(FENCE_CATALOGUE);
    return async (app, options) =>
      campaignRoutes({
        campaigns: new CampaignRepository(await ctx.records()),
        publisher: new CampaignPublisher(ctx.registry, ctx.producer),
        catalogue,
      })(app, options);
  },
};
