/**
 * kube-apiserver and etcd for the `[kube-apiserver]` suites (DESIGN section 5), built from source with the Go module
 * proxy once per machine into the emulator cache (`~/.cache/runs-fleet/kube/`), by `.ci/prepare-kube`: CI runs it
 * ahead, and on a machine without them the vitest global setup (kube-apiserver.ts) runs it before any test starts.
 *
 * Why built: no registry we can reach ships a kube-apiserver binary, and Debian's etcd-server (3.4) is too old for
 * Kubernetes 1.31+. `k8s.io/kubernetes` cannot be `go install`ed (its go.mod points the `k8s.io/*` staging modules at
 * `./staging/...` with `v0.0.0` requirements), so a throwaway module requires it and pins every staging module it
 * names to the matching `v0.Y.Z` release with `replace` directives.
 *
 * Node-only on purpose (`.ci/prepare-kube` runs it outside vitest).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCached, type CacheEntry } from './cache-build.js';
import { runsFleetCacheDir } from './emulator-process.js';

export const KUBERNETES_VERSION = 'v1.37.2';
/** The etcd line Kubernetes 1.37 supports (its client is 3.7; servers 3.5+ are supported). */
export const ETCD_VERSION = 'v3.6.16';
const MARKER = '.runs-fleet-kube';
const MARKER_TEXT = `kube-apiserver ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}`;
const BUILD_PREFIX = '.kube-build-';

export const kubeCacheDir = (): string => join(runsFleetCacheDir(), 'kube');
export const kubeApiserverBinary = (): string => join(kubeCacheDir(), 'kube-apiserver');
export const etcdBinary = (): string => join(kubeCacheDir(), 'etcd');

/** Complete when both binaries exist and the marker (written last, before the rename) names the pinned versions. */
export const kubeBinariesComplete = (dir = kubeCacheDir()): boolean => {
  try {
    return (
      existsSync(join(dir, 'kube-apiserver')) &&
      existsSync(join(dir, 'etcd')) &&
      readFileSync(join(dir, MARKER), 'utf8') === MARKER_TEXT
    );
  } catch {
    return false;
  }
};

export const missingKubeBinariesMessage = (): string =>
  `kube-apiserver ${KUBERNETES_VERSION} and etcd ${ETCD_VERSION} are not built in ${kubeCacheDir()}: run ` +
  '`.ci/prepare-kube` once (it builds them from the Go module proxy; `.ci/prepare` and the test setup run it).';

interface GoResult {
  readonly stdout: string;
}

const go = (args: ReadonlyArray<string>, cwd: string): GoResult => {
  const r = spawnSync('go', [...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // -mod=mod: the throwaway module has no vendor folder and its go.sum is written as we go.
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  if (r.error) throw new Error(`go ${args.join(' ')}: ${r.error.message} (is Go installed and on PATH?)`);
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stderr.slice(-4000)}`);

  return { stdout: r.stdout };
};

/** The `k8s.io/*` staging modules k8s.io/kubernetes requires at `v0.0.0` (the list changes between releases). */
const stagingModules = (cwd: string): string[] => {
  const info = JSON.parse(go(['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`], cwd).stdout) as {
    GoMod?: string;
  };
  if (info.GoMod === undefined) throw new Error(`go mod download k8s.io/kubernetes@${KUBERNETES_VERSION}: no go.mod`);
  const modules = [...readFileSync(info.GoMod, 'utf8').matchAll(/^\s+(k8s\.io\/[\w.-]+) v0\.0\.0$/gm)].map((m) => m[1]);

  return [...new Set(modules.filter((m): m is string => m !== undefined))];
};

const toolsFile = (pkg: string): string => `//go:build tools\n\npackage tools\n\nimport _ "${pkg}"\n`;

const buildKubeApiserver = async (dir: string, out: string): Promise<void> => {
  await mkdir(dir, { recursive: true });
  const staging = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
  await writeFile(join(dir, 'go.mod'), 'module runsfleet.local/kube-apiserver-build\n\ngo 1.26.0\n');
  const replaces = stagingModules(dir).map((m) => `\t${m} => ${m} ${staging}\n`);
  await writeFile(
    join(dir, 'go.mod'),
    `module runsfleet.local/kube-apiserver-build\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes ${KUBERNETES_VERSION}\n\n` +
      `replace (\n${replaces.join('')})\n`,
  );
  await writeFile(join(dir, 'tools.go'), toolsFile('k8s.io/kubernetes/cmd/kube-apiserver'));
  go(['mod', 'tidy'], dir);
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const ldflags = [
    '-s',
    '-w',
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
  go(['build', '-trimpath', `-ldflags=${ldflags}`, '-o', out, 'k8s.io/kubernetes/cmd/kube-apiserver'], dir);
};

const buildEtcd = async (dir: string, out: string): Promise<void> => {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'go.mod'),
    `module runsfleet.local/etcd-build\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 ${ETCD_VERSION}\n`,
  );
  await writeFile(join(dir, 'tools.go'), toolsFile('go.etcd.io/etcd/server/v3'));
  go(['mod', 'tidy'], dir);
  go(['build', '-trimpath', '-ldflags=-s -w', '-o', out, 'go.etcd.io/etcd/server/v3'], dir);
};

export interface KubeBuild extends CacheEntry {
  /** Per binary, when built now. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Builds both binaries into the cache unless they are there (atomically: see cache-build.ts). */
export const ensureKubeBinaries = async (): Promise<KubeBuild> => {
  const timings: Record<string, number> = {};
  const entry = await ensureCached({
    dir: kubeCacheDir(),
    tempPrefix: BUILD_PREFIX,
    // A cold build takes tens of minutes on 2 cores: only much older leftovers are from a build that was killed.
    staleMs: 3 * 3600_000,
    isComplete: kubeBinariesComplete,
    build: async (tmp) => {
      const bin = join(tmp, 'kube');
      await mkdir(bin);
      let started = performance.now();
      await buildEtcd(join(tmp, 'etcd-module'), join(bin, 'etcd'));
      timings['etcd'] = performance.now() - started;
      started = performance.now();
      await buildKubeApiserver(join(tmp, 'kube-apiserver-module'), join(bin, 'kube-apiserver'));
      timings['kube-apiserver'] = performance.now() - started;
      await writeFile(join(bin, MARKER), MARKER_TEXT);

      return bin;
    },
  });

  return { ...entry, timings };
};
