/** `.ci/prepare` step: install moto into its cache virtualenv so the first test run does not pay for it. */
import { MOTO_VERSION, ensureMotoVenv } from './moto.js';

const { dir, built: installed, ms } = await ensureMotoVenv();
process.stdout.write(
  `moto ${MOTO_VERSION}: ${installed ? `installed into ${dir} in ${(ms / 1000).toFixed(1)} s` : `cached at ${dir}`}\n`,
);
