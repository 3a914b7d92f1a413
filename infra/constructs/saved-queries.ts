import { CfnQueryDefinition, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { SavedQuery } from '../../core/detection/compile';

export interface SavedQueriesProps {
  readonly envName: string;
  readonly logGroup: ILogGroup;
  /** Compiled from the detection rules and the flow log's format (`savedQueries` in core). */
  readonly queries: readonly SavedQuery[];
}

/** The runbook's Logs Insights queries, saved in the console under `flowir/<env>/`, bound to the flow-log group. */
export class SavedQueries extends Construct {
  readonly definitions: ReadonlyMap<string, CfnQueryDefinition>;

  constructor(scope: Construct, id: string, props: SavedQueriesProps) {
    super(scope, id);
    const definitions = new Map<string, CfnQueryDefinition>();
    for (const query of props.queries) {
      definitions.set(
        query.slug,
        new CfnQueryDefinition(this, query.slug, {
          // The console shows a `/` in a saved query's name as a folder.
          name: `flowir/${props.envName}/${query.title}`,
          queryString: query.queryString,
          logGroupNames: [props.logGroup.logGroupName],
        }),
      );
    }
    this.definitions = definitions;
  }
}
