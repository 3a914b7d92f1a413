import { DEFAULT_CONFIG } from '../../../core/detection/config';
import { savedQueries } from '../../../core/detection/compile';
import { FlowLogFormat } from '../../../core/flowlog/format';
import { build, idOf } from '../synth';

type QueryDefinition = { Properties: { Name: string; QueryString: string; LogGroupNames: unknown[] } };

const { template, stack } = build({ envName: 'prod' });
const definitions = Object.values(template.findResources('AWS::Logs::QueryDefinition')).map((r) => (r as QueryDefinition).Properties);

describe('the saved Logs Insights queries', () => {
  it("are the runbook's six, in a flowir/<env>/ folder, bound to the flow-log group", () => {
    expect(definitions.map((d) => d.Name)).toEqual([
      'flowir/prod/Top talkers (bytes by source)',
      'flowir/prod/Rejected connections',
      'flowir/prod/Port scanning (more than 50 rejected ports per source)',
      'flowir/prod/Traffic by protocol',
      'flowir/prod/Top destinations',
      'flowir/prod/Flows and bytes per 5 minutes',
    ]);
    for (const d of definitions) expect(d.LogGroupNames).toEqual([{ Ref: idOf(stack, stack.flowLogs.logGroup) }]);
  });

  it('are compiled from the detection rules for the format the flow log records', () => {
    const expected = savedQueries({ config: { ...DEFAULT_CONFIG, format: FlowLogFormat.V5.fields.join(' ') }, format: FlowLogFormat.V5 });
    expect(definitions.map((d) => d.QueryString)).toEqual(expected.map((q) => q.queryString));
  });

  it('filter REJECT before stats in the port-scanning query (the runbook filtered after, on a dropped field)', () => {
    const portScan = definitions.find((d) => d.Name.includes('Port scanning'))?.QueryString ?? '';
    const filterAt = portScan.search(/filter\s+\S*action\S*\s*=\s*"REJECT"/);
    const statsAt = portScan.indexOf('stats ');
    expect(filterAt).toBeGreaterThan(-1);
    expect(statsAt).toBeGreaterThan(filterAt);
    expect(portScan).toMatch(/> 50/);
  });

  it('follow the thresholds file', () => {
    const t = build({ thresholdsFile: 't.json' }, { readFile: () => JSON.stringify({ detections: { PORT_SCAN: { threshold: 20 } } }) }).template;
    const names = Object.values(t.findResources('AWS::Logs::QueryDefinition')).map((r) => (r as QueryDefinition).Properties);
    const portScan = names.find((d) => d.Name.includes('Port scanning'));
    expect(portScan?.Name).toBe('flowir/dev/Port scanning (more than 20 rejected ports per source)');
    expect(portScan?.QueryString).toMatch(/> 20/);
  });
});
