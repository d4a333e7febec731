/**
 * kube-apiserver harness (DESIGN section 5, issue 8): a real Kubernetes API server with its etcd, started on loopback
 * ports when the first `[kube-apiserver]` test file asks (emulator-process.ts, lazy start), shared by the whole run,
 * stopped when it ends (also when it is interrupted or killed). Test files isolate themselves with a namespace each
 * (kube-apiserver-client.ts).
 *
 * - The binaries come from the cache that `.ci/prepare-kube` fills (kube-apiserver-binaries.ts); this file never
 *   builds, and fails with that instruction when they are missing.
 * - The serving certificate (self-signed, for 127.0.0.1) and the service-account signing key are generated here, per
 *   start, in a temporary folder; nothing secret outlives the run.
 * - Clients authenticate with a static token (`--token-auth-file`): an admin in `system:masters`. Authorization is
 *   RBAC, so a test can also act as a service account bound to the minimal Role of infra/k8s and see it suffice.
 * - No kubelet, scheduler or controller-manager: tests play the kubelet by writing pod status (the status
 *   subresource), and nothing garbage-collects or finalizes namespaces.
 * - Pods are served without the watch cache (`--watch-cache-sizes=pods#0`), so a watch from a resourceVersion that
 *   etcd compacted answers 410 Gone, which is how the watch's re-list is tested (`compactEtcd`).
 *
 * Node-only on purpose: test files use `kube-apiserver-client.ts`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { stringify as toYaml } from 'yaml';
import {
  answersHttp,
  freeLoopbackPort,
  serveLazyEmulator,
  startEmulator,
  type RunningEmulator,
} from './emulator-process.js';
import {
  etcdBinary,
  kubeApiserverBinary,
  kubeBinariesComplete,
  kubeCacheDir,
  missingKubeBinariesMessage,
} from './kube-apiserver-binaries.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test files ask for this run's kube-apiserver (`emulator-process.ts`, lazy start). */
    kubeControl: string;
    /** Where the started harness writes `harness.json` (a KubeHarnessInfo). */
    kubeHarnessDir: string;
  }
}

/** What a test file needs to reach the API server; written to `<kubeHarnessDir>/harness.json` once it answers. */
export interface KubeHarnessInfo {
  readonly server: string;
  /** PEM of the serving certificate (self-signed: it is its own CA). */
  readonly caFile: string;
  readonly adminToken: string;
  /** A kubeconfig for the admin (cluster `harness`, user `admin`). */
  readonly kubeconfig: string;
  /** etcd's client URL (its JSON gateway: `POST /v3/kv/compaction`). */
  readonly etcd: string;
  /** Spawn to first ready answer, per part. */
  readonly startMs: { readonly etcd: number; readonly apiserver: number };
}

const START_TIMEOUT_MS = 90_000;
const HARNESS_FILE = 'harness.json';

const openssl = (args: ReadonlyArray<string>): void => {
  const r = spawnSync('openssl', [...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`openssl: ${r.error.message} (install it: apt-get install -y openssl)`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
};

interface Credentials {
  readonly certFile: string;
  readonly keyFile: string;
  readonly saKeyFile: string;
  readonly saPubFile: string;
  readonly tokenFile: string;
  readonly adminToken: string;
}

/** The serving certificate, the service-account key pair and the static token file, in `dir`. */
const makeCredentials = async (dir: string): Promise<Credentials> => {
  const certFile = join(dir, 'apiserver.crt');
  const keyFile = join(dir, 'apiserver.key');
  // node:crypto makes keys but not X.509 certificates: the openssl CLI signs it.
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=runs-fleet-test-kube-apiserver',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,digitalSignature,keyCertSign',
  ]); // prettier-ignore
  const sa = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const saKeyFile = join(dir, 'sa.key');
  const saPubFile = join(dir, 'sa.pub');
  await writeFile(saKeyFile, sa.privateKey, { mode: 0o600 });
  await writeFile(saPubFile, sa.publicKey);
  const adminToken = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  // token,user,uid,"group1,group2": system:masters is always allowed, whatever RBAC says.
  await writeFile(tokenFile, `${adminToken},runs-fleet-test-admin,runs-fleet-test-admin,"system:masters"\n`, {
    mode: 0o600,
  });

  return { certFile, keyFile, saKeyFile, saPubFile, tokenFile, adminToken };
};

/** True once `GET <server>/readyz` answers 200 to the admin (every post-start hook done: RBAC roles exist). */
const ready = (server: string, ca: string, token: string): Promise<boolean> =>
  new Promise((resolve) => {
    const req = request(
      `${server}/readyz`,
      { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });

const kubeconfigYaml = (server: string, ca: string, token: string): string =>
  toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'harness', cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') } },
    ],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'harness', context: { cluster: 'harness', user: 'admin', namespace: 'default' } }],
    'current-context': 'harness',
  });

export interface RunningKube extends RunningEmulator {
  readonly info: KubeHarnessInfo;
}

/** Starts etcd and kube-apiserver on free loopback ports in a temporary folder; writes `harness.json` into `infoDir`. */
export const startKube = async (infoDir: string): Promise<RunningKube> => {
  if (!kubeBinariesComplete()) throw new Error(missingKubeBinariesMessage());
  const dir = await mkdtemp(join(tmpdir(), 'runs-fleet-kube-'));
  try {
    return await startIn(dir, infoDir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
};

const startIn = async (dir: string, infoDir: string): Promise<RunningKube> => {
  const creds = await makeCredentials(dir);
  const ca = await readFile(creds.certFile, 'utf8');

  const peerPort = await freeLoopbackPort();
  const etcd = await startEmulator({
    name: 'etcd',
    command: etcdBinary(),
    args: (port) => [
      '--name=harness',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${port}`,
      `--advertise-client-urls=http://127.0.0.1:${port}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=harness=http://127.0.0.1:${peerPort}`,
      // A throwaway store: durability buys nothing and fsyncs slow every write on a shared disk.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    answers: (endpoint) => answersHttp(`${endpoint}/health`),
    startTimeoutMs: START_TIMEOUT_MS,
  });

  let apiserver: RunningEmulator;
  try {
    apiserver = await startEmulator({
      name: 'kube-apiserver',
      command: kubeApiserverBinary(),
      args: (port) => [
        `--etcd-servers=${etcd.endpoint}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        // The `kubernetes` Service's endpoints would name this loopback address, which the reconciler refuses.
        '--endpoint-reconciler-type=none',
        `--secure-port=${port}`,
        `--tls-cert-file=${creds.certFile}`,
        `--tls-private-key-file=${creds.keyFile}`,
        `--token-auth-file=${creds.tokenFile}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=false',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${creds.saPubFile}`,
        `--service-account-signing-key-file=${creds.saKeyFile}`,
        // Required even with no Service in use; no traffic goes there.
        '--service-cluster-ip-range=10.96.0.0/24',
        // The ServiceAccount plugin needs the controller-manager's token and service-account controllers.
        '--disable-admission-plugins=ServiceAccount',
        // As kubeadm and the managed clusters run it: privileged containers (docker-in-docker sidecars) are allowed.
        '--allow-privileged=true',
        '--watch-cache-sizes=pods#0',
        '--profiling=false',
        '--v=0',
      ],
      answers: async (endpoint) => ready(endpoint.replace(/^http:/, 'https:'), ca, creds.adminToken),
      startTimeoutMs: START_TIMEOUT_MS,
    });
  } catch (e) {
    await etcd.stop();
    throw e;
  }

  const server = `https://127.0.0.1:${apiserver.port}`;
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeFile(kubeconfig, kubeconfigYaml(server, ca, creds.adminToken), { mode: 0o600 });
  const info: KubeHarnessInfo = {
    server,
    caFile: creds.certFile,
    adminToken: creds.adminToken,
    kubeconfig,
    etcd: etcd.endpoint,
    startMs: { etcd: etcd.startMs, apiserver: apiserver.startMs },
  };
  await mkdir(infoDir, { recursive: true });
  await writeFile(join(infoDir, HARNESS_FILE), JSON.stringify(info, null, 2), { mode: 0o600 });

  return {
    endpoint: server,
    port: apiserver.port,
    pid: apiserver.pid,
    startMs: etcd.startMs + apiserver.startMs,
    info,
    stop: async () => {
      await apiserver.stop();
      await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

export const readKubeHarnessInfo = async (infoDir: string): Promise<KubeHarnessInfo> =>
  JSON.parse(await readFile(join(infoDir, HARNESS_FILE), 'utf8')) as KubeHarnessInfo;

/**
 * A machine without the cached binaries builds them here, once, before any test runs (so no test waits on it under
 * its timeout): `npm test` stays self-sufficient. `.ci/prepare-kube` is the same build; CI runs it ahead.
 */
const buildOnce = async (): Promise<void> => {
  const script = fileURLToPath(new URL('../../.ci/prepare-kube', import.meta.url));
  process.stderr.write(
    `[kube-apiserver] not built in ${kubeCacheDir()}: building it once with ${script} (about 10 minutes on 2 cores)\n`,
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !kubeBinariesComplete())
    throw new Error(`${script} failed (exit ${String(code)}); ${missingKubeBinariesMessage()}`);
};

/**
 * vitest globalSetup: provides the control address (`inject('kubeControl')`) through which the first test file that
 * needs the API server starts it, once for the whole run, and the folder where its connection details appear
 * (`inject('kubeHarnessDir')`). Returns the teardown (stops it if it was started).
 */
export const setupKubeApiserver = async (project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> => {
  if (!kubeBinariesComplete()) await buildOnce();
  const infoDir = await mkdtemp(join(tmpdir(), 'runs-fleet-kube-harness-'));
  const lazy = await serveLazyEmulator('kube-apiserver', () => startKube(infoDir));
  project.provide('kubeControl', lazy.control);
  project.provide('kubeHarnessDir', infoDir);

  return async () => {
    await lazy.stop();
    await rm(infoDir, { recursive: true, force: true });
  };
};
