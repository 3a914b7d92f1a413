/**
 * The Logs Insights results port: GetQueryResults, called by ToFindings itself. Through Step Functions'
 * aws-sdk integration a result of more than about 3,000 rows would exceed the 262,144 bytes a task's
 * result may hold, which fails the execution (States.DataLimitExceeded, not caught by any Catch),
 * however little of it the ResultSelector keeps (docs/aws-facts.md §2). The SDK's current model lets
 * GetQueryResults page (`maxItems`, `nextToken`); ToFindings reads every page.
 * The shapes are the SDK v3's: the Lambda calls the SDK directly, in camelCase.
 */
import type { GetQueryResultsCommandInput, GetQueryResultsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';

export interface LogsInsightsResultsPort {
  getQueryResults(input: GetQueryResultsCommandInput): Promise<GetQueryResultsCommandOutput>;
}
