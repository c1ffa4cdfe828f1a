import type { Command } from 'commander';
import { createKafka, parseReplayFrom, replayGroup } from '../../bus/index.js';
import { loadConfig } from '../../config/index.js';
import { HexcastError } from '../../errors/index.js';
import { prettyLogs, processLogger } from '../../observability/index.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description("move a stopped consumer group's offsets so its processor re-reads a topic")
    .requiredOption('--topic <topic>', 'topic to rewind')
    .requiredOption('--group <group>', 'consumer group (no member may be running)')
    .requiredOption('--from <from>', 'an offset, an ISO time, earliest or latest')
    .action(async (opts: { topic: string; group: string; from: string }) => {
      const config = loadConfig();
      if (config.kafka.brokers === undefined) {
        throw new HexcastError(
          'HX_CLI_USAGE',
          'replay needs a running broker: set KAFKA_BROKERS (e.g. 127.0.0.1:9092)',
        );
      }
      const logger = processLogger({
        level: config.logLevel,
        name: 'hexcast-replay',
        pretty: prettyLogs(config.logFormat),
      });
      const kafka = createKafka({ config, logger });
      const partitions = await replayGroup(kafka, opts.group, opts.topic, parseReplayFrom(opts.from));
      for (const p of partitions) console.log(`${opts.topic} [${p.partition}] -> ${p.offset}`);
    });
}
