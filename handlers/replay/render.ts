import type { Command } from '../../domain/commands/commands.js';
import type { Difference } from './diff.js';
import type { ReplayStep } from './engine.js';

/** Text renderings of a replay: the timeline table and the `--diff` report. */

/** `+0s`, `+3.2s`, `+1m05s`, `+2h03m`. */
export const formatDuration = (ms: number): string => {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${sign}${abs % 1000 === 0 ? String(abs / 1000) : (abs / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(abs / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (totalSeconds < 3600) return `${sign}${String(Math.floor(totalSeconds / 60))}m${pad(totalSeconds % 60)}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${sign}${String(Math.floor(minutes / 60))}h${pad(minutes % 60)}m`;
};

const fields = (step: ReplayStep): string =>
  Object.entries(step.fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');

export const describeCommand = (command: Command): string => {
  const data = command.data as Record<string, unknown>;
  const detail =
    'machineIds' in data
      ? `${(data.machineIds as string[]).join(',')} (${String(data.reason)})`
      : 'machineId' in data && typeof data.machineId === 'string'
        ? data.machineId
        : 'jobId' in data
          ? `job ${String(data.jobId)}`
          : '';
  return `${command.type} ${detail} [${command.commandId}]`.replace('  ', ' ');
};

export const renderTable = (steps: ReadonlyArray<ReplayStep>, verbose: boolean): string => {
  const streamWidth = Math.max(6, ...steps.map((s) => s.streamId.length));
  const typeWidth = Math.max(4, ...steps.map((s) => s.type.length));
  const header = `${'TIME'.padEnd(24)}  ${'SINCE'.padStart(7)}  ${'STREAM'.padEnd(streamWidth)}  ${'V'.padStart(3)}  ${'TYPE'.padEnd(typeWidth)}  FIELDS`;
  const lines = [header];
  for (const step of steps) {
    const since = step.sinceMs === null ? '' : `+${formatDuration(step.sinceMs)}`;
    lines.push(
      `${step.at.padEnd(24)}  ${since.padStart(7)}  ${step.streamId.padEnd(streamWidth)}  ${String(step.version).padStart(3)}  ${step.type.padEnd(typeWidth)}  ${fields(step)}`.trimEnd(),
    );
    if (step.problem !== undefined) lines.push(`${' '.repeat(35)}!! ${step.problem}`);
    for (const command of step.commands) lines.push(`${' '.repeat(35)}-> ${describeCommand(command)}`);
    if (verbose && step.view !== undefined) lines.push(`${' '.repeat(35)}   view: ${JSON.stringify(step.view)}`);
  }
  return `${lines.join('\n')}\n`;
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where two payloads differ, as `path: recorded -> derived` (arrays compared whole). */
export const fieldDifferences = (recorded: unknown, derived: unknown, path = ''): ReadonlyArray<string> => {
  if (isRecord(recorded) && isRecord(derived)) {
    const keys = [...new Set([...Object.keys(recorded), ...Object.keys(derived)])].sort();
    return keys.flatMap((key) => fieldDifferences(recorded[key], derived[key], path === '' ? key : `${path}.${key}`));
  }
  const a = JSON.stringify(recorded) ?? 'absent';
  const b = JSON.stringify(derived) ?? 'absent';
  return a === b ? [] : [`${path === '' ? '(payload)' : path}: ${a} -> ${b}`];
};

/** A job-side outcome records some of the command's fields: compare only those. */
const onlyRecordedKeys = (recorded: unknown, derived: unknown): unknown =>
  isRecord(recorded) && isRecord(derived)
    ? Object.fromEntries(Object.keys(recorded).map((key) => [key, derived[key]]))
    : derived;

export const renderDiff = (differences: ReadonlyArray<Difference>): string => {
  if (differences.length === 0) return 'diff: the current code derives the same commands as were carried out\n';
  const lines = [`diff: ${String(differences.length)} difference(s)`];
  for (const d of differences) {
    switch (d.kind) {
      case 'changed':
        lines.push(
          `  changed      ${d.type} [${d.commandId}] (derived at ${d.at.streamId} v${String(d.at.version)})`,
          `    recorded as carried out at ${d.recorded.streamId} v${String(d.recorded.version)}; recorded -> derived now:`,
          ...fieldDifferences(
            d.recorded.data,
            d.recorded.whole ? d.derived : onlyRecordedKeys(d.recorded.data, d.derived.data),
          ).map((line) => `      ${line}`),
        );
        break;
      case 'not-derived':
        lines.push(
          `  not derived  ${d.type} [${d.commandId}]: carried out (${d.recorded.streamId} v${String(d.recorded.version)}), the current code no longer decides it`,
        );
        break;
      case 'not-carried-out':
        lines.push(
          `  new          ${d.type} [${d.commandId}]: derived at ${d.at.streamId} v${String(d.at.version)}, never carried out: ${JSON.stringify(d.derived.data)}`,
        );
        break;
    }
  }
  return `${lines.join('\n')}\n`;
};
