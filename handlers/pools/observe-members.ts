import type { MemberObservation } from '../../domain/pool/reconcile.js';
import type { MachineView } from '../../projections/machine-view.js';

/** What the reconciler sees of one member: its machine view, or "launch decided, not yet claimed" without one. */
export const observeMember = (machineId: string, view: MachineView | undefined): MemberObservation =>
  view === undefined
    ? {
        machineId,
        version: 0,
        status: 'unknown',
        claimed: false,
        retiring: null,
        startFailed: false,
        configPrepared: false,
        bootedAt: null,
        statusSince: null,
      }
    : {
        machineId,
        version: view.version,
        status: view.status,
        claimed: view.claimedVersion > 0 || view.jobId !== null,
        retiring: view.retiring?.action ?? null,
        startFailed: view.startFailed,
        configPrepared: view.configPrepared,
        bootedAt: view.bootedAt ?? null,
        statusSince: view.statusSince ?? null,
      };
