import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { parse as parseYaml } from 'yaml';
import { validatePoolsDocument } from '../../domain/pool/config.js';
import type { MachineState } from '../../domain/machine/machine-state.js';
import { applyPools } from '../pools/apply-pools.js';
import { listPools } from '../pools/pool-streams.js';
import { readMachine } from '../pools/read-streams.js';
import type { PoolView } from '../../projections/pool-view.js';
import { openStore, parseStoreUrl, STORE_URL_FORMS, StoreOpenError, type OpenedStore } from './store-url.js';

/** What the command needs from main: where to write, and how to report an exit code without `process.exit`. */
export interface PoolsCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
}

/** The file is invalid (nothing was applied) or the store could not be used. */
export const EXIT_INVALID = 2;
/** Another writer changed a pool while this apply ran: that pool was not written; run it again. */
export const EXIT_CONFLICT = 3;

const APPLY_HELP = `
Reads a pools file (YAML) and records each pool whose configuration changed as a PoolConfigured event (an unchanged
pool records nothing). The file is validated first: any error, and nothing is applied. With --prune, configured
pools the file no longer lists are removed (PoolRemoved): the reconciler then ends their members.

  pools:
    - name: default                       # ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$
      label: runs-fleet/cpu=2/arch=arm64  # the members' spec (default: runs-fleet/pool=<name>)
      hot: 1                              # running idle members: a job starts in seconds
      stopped: 2                          # stopped members: started for a job (no compute cost while stopped)
      idleTimeoutMinutes: 10              # hot pools stop an excess idle member after this (default 10)
      timeZone: Europe/Berlin             # for schedules (default UTC)
      schedules:                          # the first matching one replaces hot/stopped
        - { name: office, from: 8, to: 18, days: [mon, tue, wed, thu, fri], hot: 3, stopped: 2 }

Jobs use a pool with pool=<name> in their label, e.g. runs-on: runs-fleet=\${{ github.run_id }}/pool=default.
See docs/pools.md for hot versus stopped members and the cost trade-off.

${STORE_URL_FORMS}

Exit 0: applied; 2: invalid file or store (nothing applied); 3: a pool changed meanwhile (run again).

Examples:
  $ runs-fleet pools apply pools.yaml --store sqlite:./data/events.db
  $ runs-fleet pools apply pools.yaml --store 'dynamodb://runs-fleet-events?region=eu-west-1' --prune
`;

const LIST_HELP = `
Shows every pool: its configuration, its members with their state (hot, stopped, booting, claimed by a job) and
its last reconcile decision (when, what it did and why). Read from the event store itself.

${STORE_URL_FORMS}

Examples:
  $ runs-fleet pools list --store sqlite:./data/events.db
  $ runs-fleet pools list --store sqlite:./data/events.db --json
`;

const withStore = async (
  storeUrl: string,
  io: PoolsCommandIo,
  work: (opened: OpenedStore) => Promise<void>,
): Promise<void> => {
  const refuse = (message: string): void => {
    io.stderr(`runs-fleet pools: ${message}\n`);
    io.setExitCode(EXIT_INVALID);
  };
  const parsed = parseStoreUrl(storeUrl);
  if (E.isLeft(parsed)) return refuse(parsed.left.message);
  let opened: OpenedStore;
  try {
    opened = await openStore(parsed.right);
  } catch (error) {
    if (error instanceof StoreOpenError) return refuse(error.message);
    throw error;
  }
  try {
    await work(opened);
  } finally {
    await opened.close();
  }
};

const readDocument = async (file: string): Promise<E.Either<string[], unknown>> => {
  try {
    return E.right(parseYaml(await readFile(file, 'utf8')) as unknown);
  } catch (error) {
    return E.left([`${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
};

const apply = async (file: string, options: { store: string; prune?: boolean }, io: PoolsCommandIo) => {
  const document = await readDocument(file);
  const configs = E.isLeft(document) ? document : validatePoolsDocument(file, document.right);
  if (E.isLeft(configs)) {
    io.stderr(`runs-fleet pools apply: nothing applied:\n${configs.left.map((e) => `  ${e}`).join('\n')}\n`);
    io.setExitCode(EXIT_INVALID);

    return;
  }
  await withStore(options.store, io, async ({ store }) => {
    const changes = await applyPools({
      store,
      configs: configs.right,
      prune: options.prune === true,
      at: new Date().toISOString(),
    });
    for (const { name, change } of changes) io.stdout(`pool ${name}: ${change}\n`);
    if (changes.some((c) => c.change === 'conflict')) io.setExitCode(EXIT_CONFLICT);
  });
};

const memberRole = (member: MachineState): string => {
  if (member.claimedVersion > 0) return `claimed by job ${member.jobId ?? '?'}`;
  if (member.retiring != null) return member.retiring.action === 'stop' ? 'stopping' : 'terminating';
  if (member.status === 'running') return 'hot';
  if (member.status === 'requested' || member.status === 'launched' || member.status === 'unknown') return 'booting';

  return member.status;
};

const describePool = async (opened: OpenedStore, pool: PoolView) => {
  const members = await Promise.all(
    pool.members.map(async (id) => {
      const member = await readMachine(opened.store, id);

      return { machineId: id, state: memberRole(member), cloudId: member.cloudId, version: member.version };
    }),
  );
  const last = pool.lastReconcile;

  return {
    name: pool.name,
    removed: pool.removed,
    config: pool.config,
    members: members.filter((m) => m.state !== 'terminated' && m.state !== 'failed'),
    lastReconcile:
      last === null
        ? null
        : { at: pool.lastReconciledAt, desired: last.desired, actions: last.actions, reasons: last.reasons },
  };
};

const render = (pool: Awaited<ReturnType<typeof describePool>>): string => {
  const c = pool.config;
  const target = c === null ? 'not configured' : `hot ${String(c.desiredRunning)}, stopped ${String(c.desiredStopped)}`;
  const schedules = c?.schedules.map((s) => `${s.name} ${String(s.startHour)}-${String(s.endHour)}h`).join(', ');
  const lines = [
    `pool ${pool.name}${pool.removed ? ' (removed)' : ''}: ${target}${schedules ? `; schedules: ${schedules}` : ''}`,
    `  label: ${c?.label ?? '-'}`,
    `  members: ${pool.members.length === 0 ? 'none' : ''}`,
    ...pool.members.map((m) => `    ${m.machineId} ${m.state}${m.cloudId === null ? '' : ` (${m.cloudId})`}`),
  ];
  const last = pool.lastReconcile;
  lines.push(
    last === null
      ? '  last reconcile: none'
      : `  last reconcile: ${last.at ?? '?'}: launch ${String(last.actions.launch)}, start ${String(last.actions.start.length)}, ` +
          `stop ${String(last.actions.stop.length)}, terminate ${String(last.actions.terminate.length)} (${last.reasons.join('; ')})`,
  );

  return `${lines.join('\n')}\n`;
};

const list = async (options: { store: string; json?: boolean }, io: PoolsCommandIo) =>
  withStore(options.store, io, async (opened) => {
    const pools = await Promise.all((await listPools(opened.store)).map((pool) => describePool(opened, pool)));
    if (options.json === true) io.stdout(`${JSON.stringify({ pools })}\n`);
    else io.stdout(pools.length === 0 ? 'no pools\n' : pools.map(render).join(''));
  });

/** `runs-fleet pools apply <file> --store S [--prune]` and `runs-fleet pools list --store S [--json]`. */
export const registerPoolsCommand = (program: Command, io: PoolsCommandIo): Command => {
  const pools = program.command('pools').description('configure warm pools and show their state');
  pools
    .command('apply')
    .description('record the pools of a YAML file (validated first; unchanged pools record nothing)')
    .argument('<file>', 'the pools file (YAML)')
    .requiredOption('--store <url>', 'the event store (sqlite:<path> or dynamodb://<table>?region=&endpoint=)')
    .option('--prune', 'remove configured pools the file no longer lists')
    .addHelpText('after', APPLY_HELP)
    .action((file: string, options: { store: string; prune?: boolean }) => apply(file, options, io));
  pools
    .command('list')
    .description('show pools, their members and the last reconcile')
    .requiredOption('--store <url>', 'the event store (sqlite:<path> or dynamodb://<table>?region=&endpoint=)')
    .option('--json', 'print one JSON object')
    .addHelpText('after', LIST_HELP)
    .action((options: { store: string; json?: boolean }) => list(options, io));

  return pools;
};
