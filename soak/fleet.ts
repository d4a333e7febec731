import { join } from 'node:path';
import { randomInt, type Random } from '../adapters/sim/index.js';
import { spawnSoakChild, type SoakChild } from './child-process.js';
import type { OrchestratorArgs } from './orchestrator.js';
import type { KillKind, ServiceFaultRates, SoakOptions } from './options.js';

/**
 * The orchestrator processes of a soak, one per slot, all on the one DynamoDB store and the one sim-cloud. Each life
 * of a slot may carry a kill point (launch:N, append:N, decided:N: SIGKILL by itself at that point, including
 * between deciding and recording); the driver also SIGKILLs live ones from outside at seeded moments. A dead slot is
 * restarted after a short pause (a restart runs `resume`), until the kill budget is spent; then lives run unkilled.
 */
export interface Fleet {
  /** URLs of the orchestrators that are up. */
  live(): ReadonlyArray<string>;
  /** SIGKILL one live orchestrator from outside (if the budget allows); false when none was killed. */
  killOne(): boolean;
  readonly kills: { planned: number; external: number; byPoint: number; startFailures: number };
  stop(): Promise<void>;
}

export interface FleetOptions {
  readonly slots: number;
  readonly kills: number;
  readonly killPoints: SoakOptions['killPoints'];
  readonly seed: number;
  readonly random: Random;
  readonly rates: ServiceFaultRates;
  readonly entry: string;
  readonly env: Record<string, string>;
  readonly dir: string;
  /** Roughly how many launches/decisions/appends one orchestrator sees per second (sizes the kill points). */
  readonly launchesPerSecond: number;
  /** How long one life should last on average while kills remain. */
  readonly lifeMs: number;
}

interface Slot {
  readonly index: number;
  current: SoakChild | null;
  life: number;
}

/** Decisions and appends come several per launch. */
const PER_LAUNCH: Record<KillKind, number> = { launch: 1, decided: 4, append: 5 };

const killPointFor = (options: FleetOptions): string => {
  const { random, killPoints } = options;
  const launches = Math.max(1, Math.round((options.lifeMs / 1000) * options.launchesPerSecond * (0.5 + random())));
  const kind = killPoints.kinds[randomInt(random, 0, killPoints.kinds.length)] ?? 'launch';

  return `${kind}:${String(launches * PER_LAUNCH[kind])}`;
};

export const startFleet = async (options: FleetOptions): Promise<Fleet> => {
  const { random } = options;
  const kills = { planned: 0, external: 0, byPoint: 0, startFailures: 0 };
  let stopping = false;
  const slots: Slot[] = Array.from({ length: options.slots }, (_, index) => ({ index, current: null, life: 0 }));

  const budgetLeft = (): boolean => kills.planned < options.kills;

  const launch = async (slot: Slot): Promise<void> => {
    slot.life += 1;
    const armed = budgetLeft() && options.killPoints.kinds.length > 0 && random() < options.killPoints.armedShare;
    if (armed) kills.planned += 1;
    const args: OrchestratorArgs = {
      seed: options.seed * 1000 + slot.index * 100 + slot.life,
      rates: options.rates,
      kill: armed ? killPointFor(options) : 'none',
      logPath: join(options.dir, `orchestrator-${String(slot.index)}.log`),
    };
    try {
      const child = await spawnSoakChild(options.entry, args, {
        env: { ...options.env, RUNS_FLEET_DATA_DIR: join(options.dir, `orchestrator-${String(slot.index)}`) },
        stderrPath: join(options.dir, `orchestrator-${String(slot.index)}.stderr`),
      });
      slot.current = child;
      void child.exited.then(({ signal }) => {
        if (slot.current === child) slot.current = null;
        if (stopping) return;
        if (signal === 'SIGKILL' && armed) kills.byPoint += 1;
        void restart(slot);
      });
    } catch {
      // Died at its kill point while starting (a decision of `resume`), or failed: start again.
      kills.startFailures += 1;
      if (!stopping) void restart(slot);
    }
  };

  const restart = async (slot: Slot): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, randomInt(random, 300, 1500)));
    if (!stopping) await launch(slot);
  };

  await Promise.all(slots.map((slot) => launch(slot)));

  return {
    live: () => slots.flatMap((slot) => (slot.current === null ? [] : [slot.current.url])),
    killOne: () => {
      const up = slots.filter((slot) => slot.current !== null);
      const victim = up[randomInt(random, 0, up.length)];
      if (victim?.current == null || !budgetLeft() || up.length < 2) return false;
      kills.planned += 1;
      kills.external += 1;
      victim.current.child.kill('SIGKILL');

      return true;
    },
    kills,
    stop: async () => {
      stopping = true;
      const running = slots.flatMap((slot) => (slot.current === null ? [] : [slot.current]));
      for (const { child } of running) child.kill('SIGTERM');
      await Promise.all(
        running.map(({ child, exited }) =>
          Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]).then(() => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          }),
        ),
      );
    },
  };
};
