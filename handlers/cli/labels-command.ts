import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { AliasRule } from '../../domain/labels/index.js';
import { compileAliases, parseJobLabels } from '../../domain/labels/index.js';

/** What the command needs from main: where to write, and how to report an exit code without `process.exit`. */
export interface LabelsCommandIo {
  readonly stdout: (text: string) => void;
  readonly setExitCode: (code: number) => void;
}

/** Rejected labels and bad alias files alike, so scripts can tell "answered" (0) from "refused" (2). */
export const EXIT_REJECTED = 2;

const HELP = `
Labels are read in runs-on order. Ours: the first label that is exactly "runs-fleet", "runs-fleet/<spec>" or
"runs-fleet=<run-id>[/<spec>]"; only if there is none, the first label an alias rule matches. <spec> is key=value
segments joined by "/" (unknown keys and segments without "=" are ignored with a warning; the last repeat wins):
  cpu=N | cpu=MIN+MAX   vCPUs, whole numbers (default 2..4; cpu=4 means 4..8; cpu=4+4 exactly 4)
  ram=N | ram=MIN+MAX   GiB; ram=N is a minimum only
  family=A+B            e.g. c7g+m7g; default arm64 c8g,m8g,r8g,c7g,m7g and amd64 c6i,c7i,m6i,m7i
                        (burstables t3/t4g only when named)
  gen=N                 generation, 1..10
  arch=ARCH             arm64 (aarch64) or amd64 (x64, x86_64); other values ignored
  pool=NAME             warm pool, ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$
  spot=false            on-demand (any other value keeps spot)
  disk=N                root volume GiB, 1..16384
  backend=ec2|k8s       which backend runs the job (k8s skips instance-type resolution)

Output: exit 0 and the JobSpec as JSON, or exit 2 and {"error":{"code","message"}} (codes: not-ours,
invalid-label, no-matching-instance-types, invalid-aliases).

Examples:
  $ runs-fleet labels -- 'runs-fleet/cpu=4/arch=arm64'
  $ runs-fleet labels -- self-hosted 'runs-fleet=12345/cpu=4+16/family=c7g+m7g/arch=arm64'
  $ runs-fleet labels -- 'runs-fleet/family=t3/gen=3'
  $ runs-fleet labels --aliases aliases.json -- shared-8cpu-arm64
    with aliases.json: [{"match": "^shared-(?P<cpu>\\\\d+)cpu-(arm64|x64)$", "regex": true, "spec": "cpu=\${cpu}/arch=$2"}]
`;

interface CliError {
  readonly code: string;
  readonly message: string;
}

const loadAliases = async (file: string | undefined): Promise<E.Either<CliError, ReadonlyArray<AliasRule>>> => {
  if (file === undefined) return E.right([]);
  try {
    const raw = await readFile(file, 'utf8');

    return pipe(
      compileAliases(raw),
      E.mapLeft((e) => ({ code: e.code, message: `${file}: ${e.message}` })),
    );
  } catch (e) {
    return E.left({
      code: 'invalid-aliases',
      message: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
};

const run = async (
  labels: ReadonlyArray<string>,
  aliasesFile: string | undefined,
  io: LabelsCommandIo,
): Promise<void> => {
  const outcome = pipe(
    await loadAliases(aliasesFile),
    E.flatMap((aliases) => parseJobLabels(labels, aliases)),
  );
  if (E.isLeft(outcome)) io.setExitCode(EXIT_REJECTED);
  io.stdout(`${JSON.stringify(E.isLeft(outcome) ? { error: outcome.left } : outcome.right)}\n`);
};

/** `runs-fleet labels [--aliases FILE] -- LABEL [LABEL…]`: what the orchestrator would make of a job's labels. */
export const registerLabelsCommand = (program: Command, io: LabelsCommandIo): Command =>
  program
    .command('labels')
    .description("show the JobSpec runs-fleet derives from a job's runs-on labels, or why it would not take the job")
    .option('--aliases <file>', 'JSON file of label alias rules, as in RUNS_FLEET_LABEL_ALIASES')
    .argument('<labels...>', 'the runs-on labels, in order (put them after -- )')
    .addHelpText('after', HELP)
    .action((labels: string[], options: { aliases?: string }) => run(labels, options.aliases, io));
