/** `.ci/prepare-kube` step: build kube-apiserver and etcd into the emulator cache so no test run pays for it. */
import { ensureKubeBinaries, ETCD_VERSION, KUBERNETES_VERSION } from './kube-apiserver-binaries.js';

const { dir, built, ms, timings } = await ensureKubeBinaries();
const seconds = (x: number | undefined): string => ((x ?? 0) / 1000).toFixed(0);
process.stdout.write(
  built
    ? `kube-apiserver ${KUBERNETES_VERSION} (${seconds(timings['kube-apiserver'])} s) and etcd ${ETCD_VERSION} ` +
        `(${seconds(timings['etcd'])} s) built into ${dir} in ${seconds(ms)} s\n`
    : `kube-apiserver ${KUBERNETES_VERSION} and etcd ${ETCD_VERSION}: cached at ${dir}\n`,
);
