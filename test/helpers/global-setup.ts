import net from 'node:net';
import type { TestProject } from 'vitest/node';

/** Services that some suites need, probed once per run. */
const SERVICES = {
  redis: { url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', selects: '*.redis.test.ts' },
  postgres: {
    url: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    selects: '*.pg.test.ts',
  },
  mariadb: {
    url: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
    selects: '*.mariadb.test.ts',
  },
} as const;

export type ServiceName = keyof typeof SERVICES;

declare module 'vitest' {
  export interface ProvidedContext {
    services: Record<ServiceName, { url: string; available: boolean }>;
  }
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export default async function setup(project: TestProject): Promise<void> {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const services = {} as Record<ServiceName, { url: string; available: boolean }>;
  for (const [name, service] of Object.entries(SERVICES) as [ServiceName, (typeof SERVICES)[ServiceName]][]) {
    const available = await reachable(service.url);
    services[name] = { url: service.url, available };
    if (!available) {
      if (ci)
        throw new Error(
          `CI=true and ${name} is not reachable at ${service.url}: ${service.selects} cannot run`,
        );
      process.stderr.write(
        `[hexcast] ${name} not reachable at ${service.url}: ${service.selects} suites are skipped\n`,
      );
    }
  }
  project.provide('services', services);
}
