import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';

/**
 * The AWS runner-config store (DESIGN section 1, SPEC `SECRETS_PATH_PREFIX`): one SSM Parameter Store SecureString
 * per machine, `<prefix>/<machineId>`, holding the config as JSON. The agent on the instance reads it by its machine id
 * (its `runs-fleet:machine-id` tag); the reference recorded in events is `ssm:<name>`, which names the secret and never
 * holds it. Values over 4 KB (a large JIT config) need the advanced tier: `Intelligent-Tiering` picks standard when it
 * fits, so small configs cost nothing.
 */
export const SSM_REF_PREFIX = 'ssm:';
export const DEFAULT_SSM_PREFIX = '/runs-fleet/runners';
/** Machine ids are ours (32 base32 characters); anything that could name another parameter is refused. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** SSM names: letters, digits and `_.-/`, starting with a slash for a hierarchy. */
const SAFE_PREFIX = /^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/;

const StoredConfig = t.type({
  machineId: t.string,
  runnerName: t.string,
  labels: t.array(t.string),
  repo: t.union([t.string, t.null]),
  jobId: t.union([t.string, t.null]),
  encodedJitConfig: t.string,
});

export interface SsmRunnerConfigStoreOptions {
  readonly client: SSMClient;
  /** Default `/runs-fleet/runners`. */
  readonly prefix?: string;
  /** The KMS key of the SecureStrings; default the account's `alias/aws/ssm`. */
  readonly kmsKeyId?: string;
}

export interface SsmRunnerConfigStore extends RunnerConfigStore {
  readonly prefix: string;
  /** The parameter name of a machine's config. */
  nameOf(machineId: string): string;
}

const isNotFound = (e: unknown): boolean =>
  e instanceof ParameterNotFound || (e instanceof Error && e.name === 'ParameterNotFound');

export const createSsmRunnerConfigStore = (options: SsmRunnerConfigStoreOptions): SsmRunnerConfigStore => {
  const prefix = options.prefix ?? DEFAULT_SSM_PREFIX;
  if (!SAFE_PREFIX.test(prefix)) {
    throw new Error(
      `runner config prefix ${JSON.stringify(prefix)}: allowed is a path like /runs-fleet/runners (letters, digits, _ . - /)`,
    );
  }
  const { client } = options;
  const nameOf = (machineId: string): string => {
    if (!SAFE_ID.test(machineId)) throw new Error(`runner config: refusing machine id ${JSON.stringify(machineId)}`);

    return `${prefix}/${machineId}`;
  };

  return {
    prefix,
    nameOf,
    put: async (config) => {
      const name = nameOf(config.machineId);
      const stored: t.TypeOf<typeof StoredConfig> = { ...config, labels: [...config.labels] };
      await client.send(
        new PutParameterCommand({
          Name: name,
          Value: JSON.stringify(stored),
          Type: 'SecureString',
          Overwrite: true,
          Tier: 'Intelligent-Tiering',
          ...(options.kmsKeyId === undefined ? {} : { KeyId: options.kmsKeyId }),
        }),
      );

      return `${SSM_REF_PREFIX}${name}`;
    },

    get: async (machineId) => {
      const name = nameOf(machineId);
      const value = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true })).then(
        (out) => out.Parameter?.Value ?? null,
        (e: unknown) => {
          if (isNotFound(e)) return null;
          throw e;
        },
      );
      if (value === null) return null;
      // Never JSON.parse's message or the validation report: both quote the value, and the value is a secret.
      const unreadable = new Error(`runner config of ${machineId}: unreadable parameter ${name}`);
      const parsed = E.tryCatch(
        (): unknown => JSON.parse(value),
        () => unreadable,
      );
      if (E.isLeft(parsed)) throw unreadable;
      const decoded = StoredConfig.decode(parsed.right);
      if (E.isLeft(decoded)) throw unreadable;

      return decoded.right satisfies RunnerConfig;
    },

    delete: async (machineId) => {
      await client.send(new DeleteParameterCommand({ Name: nameOf(machineId) })).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    },
  };
};
