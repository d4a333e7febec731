// The soak's shared simulated cloud process (soak/sim-cloud-process.ts).
// usage: node --import tsx soak/sim-cloud-entry.ts '<json SimCloudArgs>'
import { runSimCloud, type SimCloudArgs } from './sim-cloud-process.js';

const text = process.argv[2];
if (text === undefined) throw new Error('usage: sim-cloud-entry <json arguments>');
await runSimCloud(JSON.parse(text) as SimCloudArgs);
