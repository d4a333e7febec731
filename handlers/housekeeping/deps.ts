import type { HousekeepingSettings, HousekeepingViews } from '../../domain/housekeeping/index.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { GithubPort } from '../../domain/ports/github.js';
import type { EventStore } from '../../domain/store/event-store.js';

/** What the housekeeping tasks need; the composition root (handlers/serve/service.ts) builds it. */
export interface HousekeepingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface HousekeepingDeps {
  readonly store: EventStore;
  readonly compute: ComputePort;
  readonly github: GithubPort;
  /** The read models to find candidates in (embedded: the live ones; DynamoDB: loaded from the view table). */
  readonly views: () => Promise<HousekeepingViews>;
  readonly now: () => string;
  readonly settings: HousekeepingSettings;
  readonly logger: HousekeepingLogger;
}

/** What one task's cycle did, for logs, metrics and tests. */
export interface TaskReport {
  readonly task: string;
  /** Decisions appended (or found recorded and still pending). */
  readonly decided: number;
  /** Acts carried out (terminations, deletions, completions recorded). */
  readonly acted: number;
  /** Decisions whose act the re-read stopped (the state changed in between), or whose append conflicted. */
  readonly withdrawn: number;
  /** Candidates judged and left alone, by why. */
  readonly kept: Readonly<Record<string, number>>;
}

export const silentLogger: HousekeepingLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export class ReportBuilder {
  decided = 0;
  acted = 0;
  withdrawn = 0;
  readonly kept: Record<string, number> = {};
  constructor(readonly task: string) {}

  keep(why: string): void {
    this.kept[why] = (this.kept[why] ?? 0) + 1;
  }

  build(): TaskReport {
    return {
      task: this.task,
      decided: this.decided,
      acted: this.acted,
      withdrawn: this.withdrawn,
      kept: { ...this.kept },
    };
  }
}
