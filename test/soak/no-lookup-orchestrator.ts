// A DELIBERATELY BROKEN orchestrator for test/soak/broken-composition.spec.ts: the soak's orchestrator with the
// launch executor's commandId lookup taken away, wired through the fault-injection port (the executor asks the
// cloud `findByCommandId` before creating; this composition's cloud never finds anything). Against a cloud that
// ignores ClientToken, a crash between a launch and its record then launches a second machine on restart.
// usage: node --import tsx test/soak/no-lookup-orchestrator.ts '<json OrchestratorArgs>'
import type { ComputePort } from '../../domain/ports/compute.js';
import { orchestratorArgs, runOrchestrator } from '../../soak/orchestrator.js';

const withoutLookup = (compute: ComputePort): ComputePort => ({ ...compute, findByCommandId: async () => null });

await runOrchestrator(orchestratorArgs(process.argv), (faults) => ({
  ...faults,
  compute: (compute) => withoutLookup(faults.compute === undefined ? compute : faults.compute(compute)),
}));
