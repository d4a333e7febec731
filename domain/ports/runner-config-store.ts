/**
 * Where runner configs (JIT configs, registration tokens) wait for their machine's agent (DESIGN section 1): a 0600
 * file in the data folder (embedded), SSM SecureString (AWS), a Secret (Kubernetes). Events carry only the `ref`.
 */
export interface RunnerConfig {
  readonly machineId: string;
  readonly runnerName: string;
  readonly labels: ReadonlyArray<string>;
  readonly repo: string | null;
  readonly jobId: string | null;
  readonly encodedJitConfig: string;
}

export interface RunnerConfigStore {
  /** Idempotent: writing the same machine's config again replaces it. Returns the reference recorded in events. */
  put(config: RunnerConfig): Promise<string>;
  get(machineId: string): Promise<RunnerConfig | null>;
  /** Absent is fine. */
  delete(machineId: string): Promise<void>;
}
