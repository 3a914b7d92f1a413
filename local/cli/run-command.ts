import { MAX_WINDOW_SECONDS } from '../../core/detection/config';
import { parseDuration } from '../../core/detection/window';
import { INCIDENT_CONFIG_LIMITS } from '../../core/policy/incident-config';
import { toJson } from '../../core/detection/findings';
import { DEFAULT_STATE_DIR } from '../adapters/state-dir';
import { runLocal } from '../runtime/runtime';
import { anyFailed, runSummary, type RunSummary } from '../runtime/summary';
import { EXIT_OK, EXIT_WORKFLOW_FAILED, UsageError } from './errors';
import { parseCommandArgs } from './args';
import { RUN_COMMAND } from './command-specs';
import { commonScanOptions, loadIncidentConfig, type CliIo } from './scan-command';

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  // The options, with their help, are RUN_COMMAND's table in command-specs.ts.
  const { values, positionals } = parseCommandArgs(RUN_COMMAND, argv);
  // The deployed workflows run windows of at most a config's windowSeconds, and so does their rehearsal.
  const options = await commonScanOptions(values, positionals, MAX_WINDOW_SECONDS);
  const incident = await loadIncidentConfig(values.config);
  if (values.decide !== undefined && values.decide !== 'approve' && values.decide !== 'reject') throw new UsageError(`--decide: expected approve or reject, got "${values.decide}"`);
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port: expected a port number (0 to 65535), got "${values.port}"`);
    port = Number(values.port);
  }
  const approvalTimeoutSeconds = values['approval-timeout'] !== undefined ? parseDuration(values['approval-timeout'], '--approval-timeout', INCIDENT_CONFIG_LIMITS.approvalTimeoutSeconds.max) : incident.approvalTimeoutSeconds;
  const progress = (line: string): void => {
    io.stderr.write(`flowir run: ${line}\n`);
  };
  const run = await runLocal({
    inputs: options.paths,
    config: options.config,
    incident: { ...incident, approvalTimeoutSeconds },
    ...(options.until !== undefined ? { until: options.until } : {}),
    windowSeconds: options.windowSeconds ?? options.config.windowSeconds,
    stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
    port,
    ...(values.approver !== undefined ? { approvers: values.approver } : {}),
    ...(values.decide !== undefined ? { decide: values.decide } : {}),
    progress,
    onServer: (s) => progress(`approval pages on ${s.baseUrl}`),
    onApprovalLink: (l) => {
      if (values.decide === undefined) io.stderr.write(`\nAPPROVAL NEEDED for ${l.findingId} (${l.approver}; ${timeLeft(Date.parse(l.expiresAt) - Date.now())} left, until ${l.expiresAt})\n  open: ${l.url}\n\n`);
    },
    ...(values.decide === undefined
      ? {
          reminderSeconds: 60,
          onReminder: (pending) => {
            io.stderr.write(`flowir run: waiting for ${pending.length} approval${pending.length === 1 ? '' : 's'}:\n`);
            for (const p of pending) io.stderr.write(`  ${timeLeft(p.secondsLeft * 1000)} left  ${p.link.findingId}  ${p.link.url}\n`);
          },
        }
      : {}),
  });
  const summary = runSummary(run);
  io.stdout.write(values.json ? `${toJson(summary)}\n` : renderRunSummary(summary));
  return anyFailed(run) ? EXIT_WORKFLOW_FAILED : EXIT_OK;
}

function timeLeft(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

export function renderRunSummary(s: RunSummary): string {
  const lines = [`window ${new Date(s.window.start * 1000).toISOString()} → ${new Date(s.window.end * 1000).toISOString()}: ${s.findings.length} findings, ${s.executions.length} incidents`, ''];
  for (const e of s.executions) {
    const blocked = e.containment?.blocked.length ? ` blocked ${e.containment.blocked.join(', ')} (released ${e.containment.releasedAt ?? 'not yet'})` : '';
    const ticket = e.containment?.ticket ? ` ticket ${e.containment.ticket}` : '';
    const who = e.decision ? ` ${e.decision.decision} by ${e.decision.approver} at ${e.decision.at}` : '';
    lines.push(`${e.outcome.padEnd(11)} ${e.finding.id}${who}${blocked}${ticket}${e.error ? ` — ${e.error}` : ''}`);
  }
  lines.push('', `state: ${s.stateDir} (evidence, outbox, tickets, WAF IP sets, execution histories) — see them with: flowir audit --state-dir ${s.stateDir}`);
  return `${lines.join('\n')}\n`;
}
