import { GetQueryExecution$ } from '@aws-sdk/client-athena';
import { GetQueryResults$, ListTagsForResource$, StartQuery$ } from '@aws-sdk/client-cloudwatch-logs';
import { fromStepFunctionsParameters, StepFunctionsShapeError, toStepFunctionsResult } from '../../../local/aws-shape';

describe('Step Functions SDK integration shapes, derived from the SDK schemas', () => {
  it("GetQueryResults: the CloudWatch Logs API reference's example response arrives PascalCase at every depth", () => {
    // A response in the Response Syntax of https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html
    // (results / statistics / status, doubles for the counts), as the SDK v3 returns it: the wire's camelCase.
    // shared/TOOLING.md: Step Functions hands it on as Results / Field / Value / Statistics / Status.
    const sdkOutput = {
      $metadata: { httpStatusCode: 200, requestId: 'r-1' },
      results: [
        [
          { field: '@timestamp', value: '2019-04-08 17:48:43.000' },
          { field: '@message', value: '2 123456789012 eni-0a1b 10.0.0.1 10.0.0.2 443 49152 6 10 840 1554745723 1554745783 ACCEPT OK' },
        ],
      ],
      statistics: { bytesScanned: 8.0, recordsMatched: 1.0, recordsScanned: 1.0 },
      status: 'Complete',
    };
    expect(toStepFunctionsResult(GetQueryResults$, sdkOutput)).toEqual({
      Results: [
        [
          { Field: '@timestamp', Value: '2019-04-08 17:48:43.000' },
          { Field: '@message', Value: '2 123456789012 eni-0a1b 10.0.0.1 10.0.0.2 443 49152 6 10 840 1554745723 1554745783 ACCEPT OK' },
        ],
      ],
      Statistics: { BytesScanned: 8, RecordsMatched: 1, RecordsScanned: 1 },
      Status: 'Complete',
    });
  });

  it('keeps map keys as they are (they are data, not member names)', () => {
    expect(toStepFunctionsResult(ListTagsForResource$, { tags: { team: 'security', 'cost-center': '42' } })).toEqual({ Tags: { team: 'security', 'cost-center': '42' } });
  });

  it('renders timestamps as ISO 8601 strings and drops members the SDK left undefined', () => {
    const out = toStepFunctionsResult(GetQueryExecution$, {
      QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'SUCCEEDED', SubmissionDateTime: new Date('2023-01-18T15:09:56.025Z'), CompletionDateTime: undefined }, Statistics: { DataScannedInBytes: 10485760 } },
    });
    expect(out).toEqual({ QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'SUCCEEDED', SubmissionDateTime: '2023-01-18T15:09:56.025Z' }, Statistics: { DataScannedInBytes: 10485760 } } });
  });

  it('refuses an output member the operation does not have (a stand-in answering in the wrong shape)', () => {
    expect(() => toStepFunctionsResult(GetQueryResults$, { Results: [], status: 'Complete' })).toThrow(StepFunctionsShapeError);
    expect(() => toStepFunctionsResult(GetQueryResults$, { Results: [], status: 'Complete' })).toThrow('has no member "Results"');
  });

  it('turns PascalCase task parameters into the SDK input, and refuses a parameter the API does not have', () => {
    expect(fromStepFunctionsParameters(StartQuery$, { LogGroupNames: ['/aws/vpc/flowlogs/dev'], StartTime: 1763802000, EndTime: 1763805600, QueryString: 'stats count(*)', Limit: 10000 })).toEqual({
      logGroupNames: ['/aws/vpc/flowlogs/dev'],
      startTime: 1763802000,
      endTime: 1763805600,
      queryString: 'stats count(*)',
      limit: 10000,
    });
    expect(() => fromStepFunctionsParameters(StartQuery$, { logGroupNames: ['x'] })).toThrow('has no parameter "logGroupNames"');
  });
});
