import { EmfFindingMetrics } from '../../../handlers/aws/metrics';
import { findingMetric } from '../../../infra/metrics';

/** The EMF documents Powertools writes to stdout while `run` runs. */
async function emfWritten(run: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('EmfFindingMetrics', () => {
  it('writes each count as the metric the alarm watches: namespace, name and exactly its dimensions', async () => {
    const docs = await emfWritten(() =>
      new EmfFindingMetrics('prod').findings([
        { detection: 'PORT_SCAN', findings: 3 },
        { detection: 'HIGH_TRAFFIC_VOLUME', findings: 0 },
      ]),
    );
    expect(docs).toHaveLength(2);
    for (const [doc, detection, value] of [
      [docs[0], 'PORT_SCAN', 3],
      [docs[1], 'HIGH_TRAFFIC_VOLUME', 0],
    ] as const) {
      const identity = findingMetric('prod', detection);
      const aws = (doc as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } })._aws;
      expect(aws.CloudWatchMetrics).toEqual([{ Namespace: 'Flowir', Dimensions: [['Environment', 'Detection']], Metrics: [{ Name: identity.metricName, Unit: 'Count' }] }]);
      expect(doc).toMatchObject({ Environment: 'prod', Detection: detection, [identity.metricName]: value });
      // Any other dimension (Powertools' default `service`) would make it a metric no alarm watches.
      expect(doc).not.toHaveProperty('service');
    }
    expect(findingMetric('prod', 'PORT_SCAN').metricName).toBe('SecurityEvents');
    expect(findingMetric('prod', 'HIGH_TRAFFIC_VOLUME').metricName).toBe('Anomalies');
  });
});
