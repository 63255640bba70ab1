import { Command, CommanderError, Option } from 'commander';
import { configCommand, type ConfigCommandOptions } from './commands/config';
import { demoCommand } from './commands/demo';
import { dlqCommand, type DlqOptions } from './commands/dlq';
import { registerInboxCommand } from './commands/inbox';
import { kafkaCheckCommand, type KafkaCheckCommandOptions } from './commands/kafka';
import { ignoredCommand, type IgnoredOptions } from './commands/ignored';
import { mapCommand } from './commands/map';
import { privacyCommand, type PrivacyOptions } from './commands/privacy';
import { reconcileCommand, type ReconcileCommandOptions } from './commands/reconcile';
import { SCHEMA_NAMES, schemaCommand } from './commands/schema';
import { simulateCommand, simulatorsCommand } from './commands/simulate';
import { startCommand } from './commands/start';
import { testCommand } from './commands/test';
import { validateCommand, type ValidateOptions } from './commands/validate';
import { processIO, type CliIO } from './io';

/** Parses argv (without node and script) and runs one command; resolves to the exit code. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let code = 0;
  const program = new Command('subhub')
    .description('Integration hub for subscription businesses')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();

  program
    .command('start')
    .description('run the hub (webhooks, pipeline, health) on the configured port')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .option(
      '--with-simulators',
      'also run the local simulators the config points at (127.0.0.1), with development credentials and webhook secrets',
    )
    .action(async (opts: { config: string; withSimulators?: boolean }) => {
      code = await startCommand(opts, io);
    });
  program
    .command('validate')
    .description('check config, mapping and cases files; one file:line:col line per problem')
    .argument(
      '[paths...]',
      'files or folders (default: config/hub.json and mappings/); a config file is checked with every layer (local.json beside it, environment overrides)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option(
      '--overlay <file>',
      'check this file as an overlay merged on the base config (repeatable; local*.json files are overlays by name)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('-c, --config <path>', 'the base config overlays are merged on (default: hub.json beside the overlay, else config/hub.json)')
    .action((paths: string[], opts: ValidateOptions) => {
      code = validateCommand(paths, opts, io);
    });
  program
    .command('config')
    .description('the effective config: print (every layer merged, defaults filled, secrets as references)')
    .argument('<action>', 'print')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .option('--overlay <file>', 'the overlay merged on top (default: local.json beside the config file, when it exists)')
    .option('--no-local', 'merge no overlay')
    .action((action: string, opts: ConfigCommandOptions) => {
      code = configCommand(action, opts, io);
    });
  program
    .command('map')
    .description('dry run: apply a mapping to an input document and print the output')
    .argument('<mapping>', 'mapping file or name')
    .argument('[input]', 'input JSON file, or - for stdin', '-')
    .action(async (mapping: string, input: string) => {
      code = await mapCommand(mapping, input, io);
    });
  program
    .command('test')
    .description('run the *.cases.json beside the mappings')
    .argument('[paths...]', 'files or folders (default: mappings/)')
    .action(async (paths: string[]) => {
      code = await testCommand(paths, io);
    });
  program
    .command('schema')
    .description(`print a JSON Schema (${SCHEMA_NAMES.join(', ')})`)
    .argument('[name]', 'which schema', 'mapping')
    .action((name: string) => {
      code = schemaCommand(name, io);
    });

  program
    .command('dlq')
    .description('dead letters: list, show <id>, replay <id>, discard <id>')
    .argument('<action>', 'list | show | replay | discard')
    .argument('[id]', 'dead letter id')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .addOption(new Option('--format <format>', 'output format of list').choices(['text', 'json']).default('text'))
    .addOption(new Option('--status <status>', 'list: only this status').choices(['open', 'replayed', 'discarded']))
    .addOption(new Option('--stage <stage>', 'list: only this stage').choices(['verify', 'map', 'route', 'deliver']))
    .option('--source <connector>', 'list: only this source')
    .option('--limit <n>', 'list: at most n (default 50)')
    .option('--actor <name>', 'replay/discard: who, for the audit trail (default cli:<user>)')
    .action(async (action: string, id: string | undefined, opts: DlqOptions) => {
      code = await dlqCommand(action, id, opts, io);
    });

  registerInboxCommand(program, io, (c) => (code = c));

  program
    .command('ignored')
    .description('events the hub accepted and ignored, by source, type and reason')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .option('--source <connector>', 'only this source')
    .option('--limit <n>', 'at most n groups (default 50)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: IgnoredOptions) => {
      code = await ignoredCommand(opts, io);
    });

  program
    .command('kafka')
    .description('the Kafka event log: check reaches the brokers and checks the topics and their partitions (--create makes missing ones)')
    .argument('<action>', 'check')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .option('--create', 'create missing topics with the configured partitions and replication factor')
    .option('--timeout <ms>', 'how long to wait for the brokers (default 10000)')
    .action(async (action: string, opts: KafkaCheckCommandOptions) => {
      if (action !== 'check') {
        io.err(`subhub kafka: unknown action "${action}" (check)`);
        code = 2;
        return;
      }
      code = await kafkaCheckCommand(opts, io);
    });

  program
    .command('privacy')
    .description('privacy requests (Shopify compliance webhooks): list, show <id> (a data request with its data)')
    .argument('<action>', 'list | show')
    .argument('[id]', 'privacy request id')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .option('--limit <n>', 'list: at most n (default 50)')
    .addOption(new Option('--format <format>', 'output format of list').choices(['text', 'json']).default('text'))
    .action(async (action: string, id: string | undefined, opts: PrivacyOptions) => {
      code = await privacyCommand(action, id, opts, io);
    });

  program
    .command('reconcile')
    .description('compare billing, hub, warehouse and ERP; repair drift by emitting corrective events')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .option('--dry-run', 'report drift only: emit and record nothing')
    .option('--json', 'print the report as JSON')
    .option('--examples <n>', 'examples kept per drift kind (default 10)')
    .addHelpText(
      'after',
      '\nExit codes: 0 no drift, or all of it repaired; 1 drift left (dry run, or kinds an operator settles); 2 bad usage; 3 another reconciliation holds the lock; 4 config, pull or store failure.',
    )
    .action(async (opts: ReconcileCommandOptions) => {
      code = await reconcileCommand(opts, io);
    });

  program
    .command('demo')
    .description('play a scripted month of a subscription business on its own hub and simulators, then reconcile it')
    .option('--data-dir <path>', 'where the demo hub keeps its SQLite file (default: a new temporary folder)')
    .option('--keep', 'keep the hub and simulators running afterwards (Ctrl-C stops them)')
    .action(async (opts: { dataDir?: string; keep?: boolean }) => {
      code = await demoCommand(opts, io);
    });

  program
    .command('simulate')
    .description('run a simulator of an external system (stripe, shopify, odoo, warehouse, mailbox) on a port')
    .argument('<name>', 'which simulator')
    .option('-p, --port <port>', 'TCP port (0: any free one)', '0')
    .action(async (name: string, opts: { port: string }) => {
      code = await simulateCommand(name, opts, io);
    });

  program
    .command('simulators', { hidden: true })
    .description('the simulator process `start --with-simulators` runs (internal)')
    .requiredOption('-c, --config <path>', 'config file')
    .requiredOption('--ready-file <path>', 'written once the simulators listen')
    .option('--hub-url <url>', 'where the Stripe simulator sends webhooks')
    .action(async (opts: { config: string; readyFile: string; hubUrl?: string }) => {
      code = await simulatorsCommand(opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

/** Entry point of bin/subhub.js. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // A stopped hub has nothing left to do: do not wait for sockets a target keeps open.
      if (['start', 'simulate', 'simulators', 'demo'].includes(process.argv[2] ?? '')) process.exit(code);
    },
    (e: unknown) => {
      process.stderr.write(`subhub: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
