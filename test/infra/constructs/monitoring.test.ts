import { FlowLogFormat } from '../../../core/flowlog/format';
import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { savedQueries } from '../../../core/detection/compile';
import { build, idOf, only } from '../synth';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

interface Widget {
  type: string;
  width: number;
  properties: { title: string; metrics?: unknown[][]; query?: string; annotations?: { horizontal?: Array<{ value: number; label: string }> } };
}

/** The dashboard body with every intrinsic replaced by a readable stand-in, parsed. */
function dashboardBody(template: Template): { widgets: Widget[] } {
  const body = only(template, 'AWS::CloudWatch::Dashboard').props.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  if (typeof body === 'string') return JSON.parse(body);
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`)).join('');
  return JSON.parse(text);
}

const { template, stack } = build({ envName: 'prod', vpcId: 'vpc-0123456789abcdef0' });
const critical = idOf(stack, stack.alerts.critical);
const warning = idOf(stack, stack.alerts.warning);

describe('the alarms', () => {
  const alarm = (name: string) => only(template, 'AWS::CloudWatch::Alarm', (p) => p.AlarmName === name).props;

  it.each(['PORT_SCAN', 'SUSPICIOUS_PORT_ACCESS'])('%s (critical): >= 1 finding in one 10-minute period, to the critical topic', (detection) => {
    expect(alarm(`flowir-prod-${detection}`)).toMatchObject({
      Namespace: 'Flowir',
      MetricName: 'SecurityEvents',
      Dimensions: [
        { Name: 'Detection', Value: detection },
        { Name: 'Environment', Value: 'prod' },
      ],
      Statistic: 'Sum',
      Period: 600,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: critical }],
    });
  });

  it.each(['HIGH_TRAFFIC_VOLUME', 'HIGH_CONNECTION_COUNT'])('%s (warning): > 5 findings in 2 consecutive 15-minute periods, to the warning topic', (detection) => {
    expect(alarm(`flowir-prod-${detection}`)).toMatchObject({
      Namespace: 'Flowir',
      MetricName: 'Anomalies',
      Dimensions: [
        { Name: 'Detection', Value: detection },
        { Name: 'Environment', Value: 'prod' },
      ],
      Statistic: 'Sum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: warning }],
    });
  });

  it('are four, one per detection', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'Flowir' } }))).toHaveLength(4);
  });

  it('follow the severity and enablement of the thresholds file', () => {
    const readFile = () => JSON.stringify({ detections: { HIGH_TRAFFIC_VOLUME: { severity: 'CRITICAL' }, SUSPICIOUS_PORT_ACCESS: { enabled: false } } });
    const t = build({ thresholdsFile: 'thresholds.json' }, { readFile }).template;
    const names = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'Flowir' } })).map((r) => (r as { Properties: { AlarmName: string } }).Properties.AlarmName);
    expect(names.sort()).toEqual(['flowir-dev-HIGH_CONNECTION_COUNT', 'flowir-dev-HIGH_TRAFFIC_VOLUME', 'flowir-dev-PORT_SCAN']);
    const promoted = only(t, 'AWS::CloudWatch::Alarm', (p) => p.AlarmName === 'flowir-dev-HIGH_TRAFFIC_VOLUME').props;
    expect(promoted).toMatchObject({ MetricName: 'Anomalies', Period: 600, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });
});

describe('the dashboard VPCFlowLogs-<env>', () => {
  const body = dashboardBody(template);
  const titles = body.widgets.map((w) => w.properties.title);

  it('is named after the environment', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'VPCFlowLogs-prod' });
  });

  it('has the five widgets of the monitoring guide, then a row with the executions of each workflow', () => {
    expect(titles).toEqual([
      'Traffic volume (bytes)',
      'Packets',
      'Anomalies by detection (Anomalies)',
      'Security events by detection (SecurityEvents)',
      'Top sources (bytes)',
      'flowir-prod-detection-security: executions failed, timed out, aborted',
      'flowir-prod-detection-anomaly: executions failed, timed out, aborted',
      'flowir-prod-incident: executions failed, timed out, aborted',
    ]);
  });

  it('graphs failed, timed-out and aborted executions per state machine, with the alarm threshold', () => {
    const id = (machine: IConstruct): string => `<{'Ref':'${idOf(stack, machine)}'}>`;
    const machines = [stack.workflows.detections.security.stateMachine, stack.workflows.detections.anomaly.stateMachine, stack.workflows.incident.stateMachine];
    machines.forEach((machine, i) => {
      const widget = body.widgets[5 + i];
      expect(widget?.width).toBe(8);
      expect(widget?.properties.metrics).toEqual(
        ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((m, j) => ['AWS/States', m, 'StateMachineArn', id(machine), { label: ['failed', 'timed-out', 'aborted'][j], stat: 'Sum' }]),
      );
      expect(widget?.properties.annotations?.horizontal).toEqual([{ value: 1, label: 'critical alarm', yAxis: 'left' }]);
    });
  });

  it('graphs bytes and packets from the metric filters, accepted and rejected, for this VPC', () => {
    for (const [i, name] of [
      [0, 'Bytes'],
      [1, 'Packets'],
    ] as const) {
      const metrics = body.widgets[i]?.properties.metrics;
      expect(metrics).toEqual([
        ['Flowir', name, 'Action', 'ACCEPT', 'VpcId', 'vpc-0123456789abcdef0', { label: 'ACCEPT', stat: 'Sum' }],
        ['Flowir', name, 'Action', 'REJECT', 'VpcId', 'vpc-0123456789abcdef0', { label: 'REJECT', stat: 'Sum' }],
      ]);
    }
  });

  it('graphs findings by detection from the metrics the detection workflow publishes, with the alarm thresholds', () => {
    const anomalies = body.widgets[2]?.properties;
    expect(anomalies?.metrics).toEqual([
      ['Flowir', 'Anomalies', 'Detection', 'HIGH_TRAFFIC_VOLUME', 'Environment', 'prod', { label: 'HIGH_TRAFFIC_VOLUME', period: 900, stat: 'Sum' }],
      ['Flowir', 'Anomalies', 'Detection', 'HIGH_CONNECTION_COUNT', 'Environment', 'prod', { label: 'HIGH_CONNECTION_COUNT', period: 900, stat: 'Sum' }],
    ]);
    expect(anomalies?.annotations?.horizontal).toEqual([{ value: 5, label: 'warning alarm', yAxis: 'left' }]);
    const security = body.widgets[3]?.properties;
    expect(security?.metrics).toEqual([
      ['Flowir', 'SecurityEvents', 'Detection', 'PORT_SCAN', 'Environment', 'prod', { label: 'PORT_SCAN', period: 600, stat: 'Sum' }],
      ['Flowir', 'SecurityEvents', 'Detection', 'SUSPICIOUS_PORT_ACCESS', 'Environment', 'prod', { label: 'SUSPICIOUS_PORT_ACCESS', period: 600, stat: 'Sum' }],
    ]);
    expect(security?.annotations?.horizontal).toEqual([{ value: 1, label: 'critical alarm', yAxis: 'left' }]);
  });

  it('shows top sources with the saved top-talkers query on the flow-log group', () => {
    const top = body.widgets[4];
    const topTalkers = savedQueries({ config: DEFAULT_CONFIG, format: FlowLogFormat.V5 }).find((q) => q.slug === 'top-talkers');
    expect(top?.type).toBe('log');
    expect(top?.properties.query).toBe(`SOURCE '<{'Ref':'${idOf(stack, stack.flowLogs.logGroup)}'}>' | ${topTalkers?.queryString}`);
  });
});
