import { GetQueryResultsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { LogsInsightsResultsPort } from '../ports/logs-insights-results';

/** GetQueryResults through the SDK (logs:GetQueryResults on the flow-log group). */
export class LogsInsightsSdkResults implements LogsInsightsResultsPort {
  constructor(private readonly client: CloudWatchLogsClient) {}

  getQueryResults(input: Parameters<LogsInsightsResultsPort['getQueryResults']>[0]): ReturnType<LogsInsightsResultsPort['getQueryResults']> {
    return this.client.send(new GetQueryResultsCommand(input));
  }
}
