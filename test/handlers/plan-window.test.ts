import { checkLogsInsightsQuery, compileAthena, compileLogsInsights } from '../../core/detection/compile';
import { ConfigError, DEFAULT_CONFIG, defaultConfigFor, type FlowirConfig } from '../../core/detection/config';
import { FlowLogFormat } from '../../core/flowlog/format';
import { createPlanWindowHandler, QUERY_TIME_MARGIN_SECONDS, scheduledWindow, type PlanWindowConfig } from '../../handlers/plan-window';
import { TaskInputError } from '../../handlers/task-input';
import type { DetectionInput } from '../../workflows/contract';

const at = (iso: string): { now: () => Date } => ({ now: () => new Date(iso) });
const epoch = (iso: string): number => Date.parse(iso) / 1000;
const logsInsights: PlanWindowConfig = { detection: DEFAULT_CONFIG, engine: 'logs-insights' };

describe('PlanWindow', () => {
  it('plans a scheduled security run: window ends the delivery lag before the schedule, aligned to the minute', async () => {
    const plan = createPlanWindowHandler({ config: logsInsights, clock: at('2025-11-22T10:00:41Z') });
    const out = await plan({ group: 'security', scheduledTime: '2025-11-22T10:00:37Z' });

    // 10:00:37 minus the 20-minute lag is 09:40:37, aligned down to 09:40:00; an hour long.
    const window = { start: epoch('2025-11-22T08:40:00Z'), end: epoch('2025-11-22T09:40:00Z') };
    expect(out.group).toBe('security');
    expect(out.window).toEqual(window);
    expect(out.rules.map((r) => r.detection)).toEqual(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS']);
    for (const rule of out.rules) {
      expect(rule.window).toEqual(window);
      expect(rule.queryString).toBe(compileLogsInsights(rule.detection, { config: DEFAULT_CONFIG, format: FlowLogFormat.V2, window }));
      expect(checkLogsInsightsQuery(rule.queryString)).toEqual([]);
      expect(rule.queryStart).toBe(window.start - QUERY_TIME_MARGIN_SECONDS);
      expect(rule.queryEnd).toBe(window.end + QUERY_TIME_MARGIN_SECONDS);
    }
  });

  it('gives the same window to a schedule that fires some seconds late', async () => {
    const plan = createPlanWindowHandler({ config: logsInsights, clock: at('2025-11-22T11:00:00Z') });
    const onTime = await plan({ group: 'anomaly', scheduledTime: '2025-11-22T10:15:00Z' });
    const late = await plan({ group: 'anomaly', scheduledTime: '2025-11-22T10:15:59.900Z' });
    expect(late.window).toEqual(onTime.window);
    expect(onTime.rules.map((r) => r.detection)).toEqual(['HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT']);
  });

  it('waits for S3 delivery with the athena defaults: the window ends 25 minutes before the schedule', async () => {
    const plan = createPlanWindowHandler({ config: { detection: defaultConfigFor('athena'), engine: 'athena', athenaTable: 'flowir_dev.vpc_flow_logs' }, clock: at('2025-11-22T10:00:05Z') });
    const out = await plan({ group: 'security', scheduledTime: '2025-11-22T10:00:00Z' });
    expect(out.window).toEqual({ start: epoch('2025-11-22T08:35:00Z'), end: epoch('2025-11-22T09:35:00Z') });
  });

  it('uses an explicit window as given (backfills, local runs), even with a scheduled time', async () => {
    const window = { start: 1763802000, end: 1763805600 };
    const plan = createPlanWindowHandler({ config: logsInsights, clock: at('2026-01-01T00:00:00Z') });
    const out = await plan({ group: 'security', window, scheduledTime: '2025-11-22T10:00:00Z' });
    expect(out.window).toEqual(window);
    expect(out.rules[0]?.queryString).toContain(`filter start >= ${window.start} and start < ${window.end}`);
  });

  it('never asks StartQuery for a range past the present, but always covers the window', async () => {
    const window = { start: 1763802000, end: 1763805600 };
    const plan = createPlanWindowHandler({ config: logsInsights, clock: { now: () => new Date((window.end + 20) * 1000) } });
    expect((await plan({ group: 'security', window })).rules[0]?.queryEnd).toBe(window.end + 20);
    const early = createPlanWindowHandler({ config: logsInsights, clock: { now: () => new Date((window.end - 600) * 1000) } });
    expect((await early({ group: 'security', window })).rules[0]?.queryEnd).toBe(window.end);
  });

  it('plans only enabled rules, with the configured window length, lag and format', async () => {
    const detection: FlowirConfig = {
      ...DEFAULT_CONFIG,
      windowSeconds: 900,
      deliveryLagSeconds: 300,
      format: 'v5',
      detections: { ...DEFAULT_CONFIG.detections, PORT_SCAN: { ...DEFAULT_CONFIG.detections.PORT_SCAN, enabled: false } },
    };
    const plan = createPlanWindowHandler({ config: { detection, engine: 'logs-insights' }, clock: at('2025-11-22T10:10:00Z') });
    const out = await plan({ group: 'security', scheduledTime: '2025-11-22T10:10:00Z' });
    expect(out.window).toEqual({ start: epoch('2025-11-22T09:50:00Z'), end: epoch('2025-11-22T10:05:00Z') });
    expect(out.rules.map((r) => r.detection)).toEqual(['SUSPICIOUS_PORT_ACCESS']);
    // The v5 layout has 29 fields: the parse names every one of them.
    expect(out.rules[0]?.queryString).toContain(`parse @message "${new Array(FlowLogFormat.V5.fields.length).fill('*').join(' ')}"`);
  });

  it('compiles Athena SQL over the configured table for the athena engine', async () => {
    const plan = createPlanWindowHandler({ config: { detection: DEFAULT_CONFIG, engine: 'athena', athenaTable: 'flowir_dev.vpc_flow_logs' }, clock: at('2025-11-22T10:00:00Z') });
    const out = await plan({ group: 'anomaly', scheduledTime: '2025-11-22T10:00:00Z' });
    for (const rule of out.rules) {
      expect(rule.queryString).toBe(compileAthena(rule.detection, { config: DEFAULT_CONFIG, table: 'flowir_dev.vpc_flow_logs', window: out.window, format: FlowLogFormat.V2 }));
      expect(rule.queryString).toContain('FROM "flowir_dev"."vpc_flow_logs"');
    }
  });

  it('refuses an athena engine without a table when it is created', () => {
    expect(() => createPlanWindowHandler({ config: { detection: DEFAULT_CONFIG, engine: 'athena' }, clock: at('2025-11-22T10:00:00Z') })).toThrow(
      new ConfigError('PlanWindow', 'athenaTable', 'the athena engine needs the archive table name'),
    );
  });

  it.each<[string, unknown, string]>([
    ['an unknown group', { group: 'network', scheduledTime: '2025-11-22T10:00:00Z' }, 'input.group: expected one of anomaly, security, got "network"'],
    ['no time at all', { group: 'security' }, 'input: needs either "scheduledTime"'],
    ['an impossible date', { group: 'security', scheduledTime: '2025-02-30T10:00:00Z' }, 'input.scheduledTime: scheduledTime: "2025-02-30T10:00:00Z" is neither epoch seconds nor an ISO 8601 time'],
    ['a numeric scheduled time', { group: 'security', scheduledTime: 1763805600 }, 'input.scheduledTime: expected an ISO 8601 time, got 1763805600'],
    ['a window that ends before it starts', { group: 'security', window: { start: 100, end: 100 } }, 'input.window.end: expected epoch seconds after input.window.start, got 100'],
    ['a window in milliseconds text', { group: 'security', window: { start: '1763802000', end: 1763805600 } }, 'input.window.start: expected epoch seconds, got "1763802000"'],
    ['not an object', 'security', 'input: expected a JSON object, got "security"'],
  ])('refuses %s, naming the field', async (_what, input, message) => {
    const plan = createPlanWindowHandler({ config: logsInsights, clock: at('2025-11-22T10:00:00Z') });
    const run = plan(input as DetectionInput);
    await expect(run).rejects.toBeInstanceOf(TaskInputError);
    await expect(run).rejects.toThrow(message);
  });
});

describe('scheduledWindow', () => {
  it('aligns down to the minute after subtracting the lag', () => {
    expect(scheduledWindow(epoch('2025-11-22T10:00:00Z'), { deliveryLagSeconds: 600, windowSeconds: 3600 })).toEqual({ start: epoch('2025-11-22T08:50:00Z'), end: epoch('2025-11-22T09:50:00Z') });
    expect(scheduledWindow(epoch('2025-11-22T10:00:59Z'), { deliveryLagSeconds: 0, windowSeconds: 60 })).toEqual({ start: epoch('2025-11-22T09:59:00Z'), end: epoch('2025-11-22T10:00:00Z') });
  });
});
