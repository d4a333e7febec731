// One soak orchestrator process (soak/orchestrator.ts): the real service with the soak's faults.
// usage: node --import tsx soak/orchestrator-entry.ts '<json OrchestratorArgs>'
import { orchestratorArgs, runOrchestrator } from './orchestrator.js';

await runOrchestrator(orchestratorArgs(process.argv));
