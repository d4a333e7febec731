// The `runs-fleet` CLI run from source (node --import tsx test/e2e/cli-entry.ts …): what bin/runs-fleet.js does with
// dist/, without depending on a build that may be older than the sources.
import { main } from '../../handlers/cli/main.js';

process.exitCode = await main(process.argv);
