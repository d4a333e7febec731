/**
 * Names and labels of what the Kubernetes adapter creates. Everything is named from the machine id (ours, derived from
 * the command that asked for the machine: 32 characters of lowercase base32), so a retry or a second worker computes
 * the same name and the API server's AlreadyExists answer is the idempotency check (DESIGN section 3).
 */
export const LABEL_PREFIX = 'runs-fleet.io/';

export const LABELS = {
  managed: `${LABEL_PREFIX}managed`,
  machineId: `${LABEL_PREFIX}machine-id`,
  commandId: `${LABEL_PREFIX}command-id`,
  jobId: `${LABEL_PREFIX}job-id`,
  pool: `${LABEL_PREFIX}pool`,
  arch: `${LABEL_PREFIX}arch`,
  capacity: `${LABEL_PREFIX}capacity`,
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
} as const;

/** Label values are capped at 63 characters; the full values ride in annotations. */
export const ANNOTATIONS = {
  label: `${LABEL_PREFIX}runner-label`,
  repo: `${LABEL_PREFIX}repo`,
  jobId: `${LABEL_PREFIX}job-id`,
  pool: `${LABEL_PREFIX}pool`,
  attempt: `${LABEL_PREFIX}attempt`,
  /** Written just before the adapter deletes a pod, so the watch can record why it went. */
  terminationReason: `${LABEL_PREFIX}termination-reason`,
} as const;

export const MANAGED_SELECTOR = `${LABELS.managed}=true`;

/** A DNS-1123 label: what pod and Secret names (and the machine ids inside them) must be. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_NAME = 63;

const checkedName = (prefix: string, machineId: string): string => {
  const name = `${prefix}${machineId}`;
  if (!DNS_LABEL.test(machineId) || name.length > MAX_NAME) {
    throw new Error(
      `machineId ${JSON.stringify(machineId)}: cannot name a Kubernetes object (lowercase letters, digits and '-', ` +
        `at most ${MAX_NAME - prefix.length} characters)`,
    );
  }

  return name;
};

/** The pod's name is also its hostname; it equals the runner name (`runnerNameFor`), so both read alike in logs. */
export const POD_PREFIX = 'runs-fleet-';
export const podNameFor = (machineId: string): string => checkedName(POD_PREFIX, machineId);

export const SECRET_PREFIX = 'runs-fleet-config-';
export const secretNameFor = (machineId: string): string => checkedName(SECRET_PREFIX, machineId);

/**
 * A value a label can hold (at most 63 characters of `[A-Za-z0-9_.-]`, starting and ending alphanumeric), or null when
 * nothing of it survives; used for free-form values such as pool names, whose full value goes in an annotation.
 */
export const labelValue = (value: string): string | null => {
  const cleaned = value
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, MAX_NAME)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');

  return cleaned === '' ? null : cleaned;
};
