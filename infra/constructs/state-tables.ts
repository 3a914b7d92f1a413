import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { APPROVAL_TABLE_SCHEMA } from '../../handlers/aws/approval-store';
import { BLOCK_TABLE_SCHEMA } from '../../handlers/aws/block-registry';
import { SUPPRESSION_TABLE } from '../../handlers/aws/suppression-store';

/** The DynamoDB calls behind each method of the block registry (handlers/aws/block-registry.ts). */
/** The registry's methods, and `budget`: the hourly cap's counter (handlers/aws/block-budget.ts). */
export type BlockRegistryMethod = 'put' | 'remove' | 'byCidr' | 'byExecution' | 'expired' | 'countSince' | 'budget';

export interface StateTablesProps {
  readonly envName: string;
}

/**
 * The workflows' state in DynamoDB, with the key names the AWS adapters use: suppression (one item
 * per detection and source, expiring), pending approvals (task tokens stay server-side, expiring),
 * and the block registry (no TTL: a block may only disappear once it is out of the IP set). On
 * demand, encrypted with the AWS-managed key, point-in-time recovery on. They hold working state
 * only (the record is the execution history and the evidence bucket), and the IP sets whose
 * blocks they track go with the stack, so they are deleted with it.
 */
export class StateTables extends Construct {
  readonly suppression: Table;
  readonly approvals: Table;
  readonly blocks: Table;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    } as const;
    this.suppression = new Table(this, 'Suppression', {
      ...common,
      tableName: `flowir-${props.envName}-suppression`,
      partitionKey: { name: SUPPRESSION_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: SUPPRESSION_TABLE.ttlAttribute,
    });
    this.approvals = new Table(this, 'Approvals', {
      ...common,
      tableName: `flowir-${props.envName}-approvals`,
      partitionKey: { name: APPROVAL_TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: APPROVAL_TABLE_SCHEMA.ttlAttribute,
    });
    const b = BLOCK_TABLE_SCHEMA;
    this.blocks = new Table(this, 'Blocks', {
      ...common,
      tableName: `flowir-${props.envName}-blocks`,
      partitionKey: { name: b.partitionKey, type: AttributeType.STRING },
      sortKey: { name: b.sortKey, type: AttributeType.STRING },
    });
    // The registry reads whole block records from both indexes.
    for (const index of [b.byExecution, b.byTime]) {
      this.blocks.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
  }

  /** Claim and repeat suppression entries (handlers/aws/suppression-store.ts). */
  grantSuppression(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resourceArns: [this.suppression.tableArn] });
  }

  /** Delete a claim whose incident could not be started (StartIncidents; the condition names its execution). */
  grantSuppressionRelease(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:DeleteItem'], resourceArns: [this.suppression.tableArn] });
  }

  /** Save a pending approval (request-approval). */
  grantApprovalSave(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:PutItem'], resourceArns: [this.approvals.tableArn] });
  }

  /** Read a pending approval and record its decision once (approval endpoint). */
  grantApprovalDecide(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resourceArns: [this.approvals.tableArn] });
  }

  /** Exactly the calls behind the registry methods a handler uses, on the table or the one index each queries. */
  grantBlockRegistry(grantee: IGrantable, methods: readonly BlockRegistryMethod[]): void {
    const index = (name: string): string => `${this.blocks.tableArn}/index/${name}`;
    const table = this.blocks.tableArn;
    const resourcesOf: Record<BlockRegistryMethod, ReadonlyArray<{ action: string; resource: string }>> = {
      put: [{ action: 'dynamodb:PutItem', resource: table }],
      remove: [{ action: 'dynamodb:DeleteItem', resource: table }],
      byCidr: [{ action: 'dynamodb:Query', resource: table }],
      byExecution: [{ action: 'dynamodb:Query', resource: index(BLOCK_TABLE_SCHEMA.byExecution.indexName) }],
      expired: [{ action: 'dynamodb:Query', resource: index(BLOCK_TABLE_SCHEMA.byTime.indexName) }],
      countSince: [{ action: 'dynamodb:Query', resource: index(BLOCK_TABLE_SCHEMA.byTime.indexName) }],
      // The conditional ADD, and the read of the count when the cap is reached.
      budget: [
        { action: 'dynamodb:UpdateItem', resource: table },
        { action: 'dynamodb:GetItem', resource: table },
      ],
    };
    const byAction = new Map<string, string[]>();
    for (const m of methods) {
      for (const { action, resource } of resourcesOf[m]) {
        const resources = byAction.get(action) ?? [];
        if (!resources.includes(resource)) resources.push(resource);
        byAction.set(action, resources);
      }
    }
    for (const [action, resourceArns] of byAction) Grant.addToPrincipal({ grantee, actions: [action], resourceArns });
  }
}
