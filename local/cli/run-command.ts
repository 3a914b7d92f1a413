import { MAX_WINDOW_SECONDS } from '../../core/detection/config';
import { parseDuration } from '../../core/detection/window';
import { INCIDENT_CONFIG_LIMITS } from '../../core/policy/incident-config';
import { toJson } from '../../core/detection/findings';
import { DEFAULT_STATE_DIR } from '../adapters/state-dir';
import { networkInterfaces } from 'node:os';
import { ApprovalHostError, DEFAULT_APPROVAL_HOST, resolveApprovalHost } from '../approval/host';
import { StatusLine, timeLeft, waitingLine } from '../approval/waiting-line';
import { renderInterrupted, renderRunSummary } from '../runtime/render-summary';
import { runLocal, type LocalRun } from '../runtime/runtime';
import { anyFailed, runSummary } from '../runtime/summary';
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
  if (values.engine !== undefined && values.engine !== 'logs-insights' && values.engine !== 'athena') throw new UsageError(`--engine: expected logs-insights or athena, got "${values.engine}"`);
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) throw new UsageError(`--port: expected a port number (0 to 65535), got "${values.port}"`);
    port = Number(values.port);
  }
  const approvalTimeoutSeconds = values['approval-timeout'] !== undefined ? parseDuration(values['approval-timeout'], '--approval-timeout', INCIDENT_CONFIG_LIMITS.approvalTimeoutSeconds.max) : incident.approvalTimeoutSeconds;
  let host;
  try {
    host = resolveApprovalHost(values.host ?? DEFAULT_APPROVAL_HOST, networkInterfaces());
  } catch (e) {
    if (e instanceof ApprovalHostError) throw new UsageError(e.message);
    throw e;
  }
  // Progress, links and the countdown share stderr: the countdown line is redrawn under the others.
  const status = new StatusLine(io.stderr);
  const progress = (line: string): void => {
    status.print(`flowir run: ${line}\n`);
  };
  if (host.warning !== null) progress(`warning: ${host.warning}`);
  if (host.note !== null) progress(host.note);

  // Ctrl-C (or SIGTERM) stops the executions and records them ABORTED; a second one exits at once.
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (name: NodeJS.Signals): void => {
    if (stoppedBy !== null) {
      status.clear();
      io.stderr.write(`flowir run: ${name} again: exiting now; executions not yet recorded stay without history\n`);
      process.exit(interruptedStatus(name));
    }
    stoppedBy = name;
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let run: LocalRun;
  try {
    run = await runLocal({
      inputs: options.paths,
      config: options.config,
      incident: { ...incident, approvalTimeoutSeconds },
      ...(options.until !== undefined ? { until: options.until } : {}),
      windowSeconds: options.windowSeconds ?? options.config.windowSeconds,
      stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
      port,
      host,
      signal: controller.signal,
      ...(values.approver !== undefined ? { approvers: values.approver } : {}),
      ...(values.decide !== undefined ? { decide: values.decide } : {}),
      ...(values.engine !== undefined ? { engine: values.engine } : {}),
      progress,
      onServer: (s) => progress(`approval pages on ${s.baseUrl}${s.host !== DEFAULT_APPROVAL_HOST ? ` (listening on ${s.host})` : ''}`),
      // Each link once, when it is sent; after that only the countdown.
      onApprovalLink: (l) => {
        if (values.decide === undefined) status.print(`\nAPPROVAL NEEDED for ${l.findingId} (${l.approver}; ${timeLeft((Date.parse(l.expiresAt) - Date.now()) / 1000)} left, until ${l.expiresAt})\n  open: ${l.url}\n\n`);
      },
      ...(values.decide === undefined
        ? {
            // A terminal's line is rewritten every second; a log gets one line a minute.
            reminderSeconds: status.isTTY ? 1 : 60,
            onReminder: (pending) => {
              if (pending.length === 0) status.clear();
              else status.show(`flowir run: ${waitingLine(pending)}${status.isTTY ? ' (Ctrl-C stops the run)' : ''}`);
            },
          }
        : {}),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    status.clear();
  }
  const summary = runSummary(run);
  io.stdout.write(values.json ? `${toJson(summary)}\n` : renderRunSummary(summary));
  if (run.interrupted !== null) {
    io.stderr.write(`flowir run: ${renderInterrupted(summary)}\n`);
    return interruptedStatus(stoppedBy ?? 'SIGINT');
  }
  return anyFailed(run) ? EXIT_WORKFLOW_FAILED : EXIT_OK;
}

/** As a shell reports a process ended by a signal: 128 + its number (SIGINT 130, SIGTERM 143). */
function interruptedStatus(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

// The rendering lives with the summary it renders (local/runtime/render-summary.ts).
export { renderRunSummary };
