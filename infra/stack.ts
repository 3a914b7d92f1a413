import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Policy, PolicyStatement, type Grant, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { CfnIPSet } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { savedQueries } from '../core/detection/compile';
import type { Severity } from '../core/detection/rules';
import type { InfraConfig } from './config';
import { Alerts } from './constructs/alerts';
import { AthenaEngine } from './constructs/athena';
import { AuditorAccess } from './constructs/auditor-access';
import { accessLogsBucket } from './constructs/buckets';
import { Evidence } from './constructs/evidence';
import { FLOW_LOG_RETENTION, FlowLogs } from './constructs/flow-logs';
import { Monitoring } from './constructs/monitoring';
import { SavedQueries } from './constructs/saved-queries';
import { WafBlocklist } from './constructs/waf-blocklist';
import { WorkflowAlarms } from './constructs/workflow-alarms';
import { stateMachineNames, Workflows } from './constructs/workflows';
import { METRIC_NAMESPACE } from './metrics';
import { acknowledge } from './nag';
import { reportPlaceholder } from './placeholders';

/**
 * What the detection and incident workflows (issue 5) build on: typed resources and the grants
 * they need, each as narrow as the action allows. A workflows construct takes this, not the stack's
 * internals, so it can be added without touching the constructs below.
 */
export interface FlowirResources {
  readonly config: InfraConfig;
  readonly flowLogGroup: ILogGroup;
  readonly archiveBucket: IBucket;
  readonly evidenceBucket: IBucket;
  readonly warningTopic: ITopic;
  readonly criticalTopic: ITopic;
  /** Where each approver's own decision link goes (only their filtered subscription receives it). */
  readonly approvalTopic: ITopic;
  readonly ipSetV4: CfnIPSet;
  readonly ipSetV6: CfnIPSet;
  /** Present when `engine` is `athena`. */
  readonly athena: AthenaEngine | undefined;
  grantEvidenceWrite(grantee: IGrantable, prefix?: string): Grant;
  grantEvidenceRead(grantee: IGrantable, prefix?: string): Grant;
  /** GetObject by key under `prefix`, no listing, no versions. */
  grantEvidenceGet(grantee: IGrantable, prefix: string): Grant;
  grantIpSetUpdate(grantee: IGrantable): Grant;
  grantPublish(grantee: IGrantable, severity: Severity): Grant;
  grantApprovalPublish(grantee: IGrantable): Grant;
  grantArchiveRead(grantee: IGrantable): Grant;
  grantFlowLogQuery(role: IRole): Policy;
  /** GetQueryResults on the flow-log group only. */
  grantFlowLogResults(role: IRole): Policy;
  grantMetricsPublish(role: IRole): Policy;
  grantAthenaQuery(grantee: IGrantable): Grant;
}

export class EngineMismatchError extends Error {
  override readonly name = 'EngineMismatchError';
}

export interface FlowirStackProps extends StackProps {
  readonly config: InfraConfig;
}

/** Everything the monitoring guide and the runbook describe around the workflows, for one VPC. */
export class FlowirStack extends Stack implements FlowirResources {
  readonly config: InfraConfig;
  readonly flowLogs: FlowLogs;
  readonly evidence: Evidence;
  readonly alerts: Alerts;
  readonly blocklist: WafBlocklist;
  readonly savedQueries: SavedQueries;
  readonly monitoring: Monitoring;
  readonly athena: AthenaEngine | undefined;
  readonly workflows: Workflows;
  readonly workflowAlarms: WorkflowAlarms;
  readonly auditorAccess: AuditorAccess;

  constructor(scope: Construct, id: string, props: FlowirStackProps) {
    super(scope, id, { description: `flowir ${props.config.envName}: VPC flow logs, evidence, alerts, WAF blocklist, dashboard`, ...props });
    const config = props.config;
    this.config = config;
    if (config.region === undefined) {
      // Not us-east-1 in its place: the template would then name it in ARNs and trust conditions.
      const unknown = config.account === undefined ? 'account or region' : 'region';
      Annotations.of(this).addWarningV2(
        'flowir:no-environment',
        `No AWS ${unknown} is known (no credentials, no -c account/-c region): the template names none and deploys anywhere. cdk deploy takes them from your credentials, or pass -c account=... -c region=...`,
      );
    }
    if (config.vpcIdIsPlaceholder) {
      reportPlaceholder(
        this,
        config,
        'placeholder-vpc',
        `vpcId is the placeholder ${config.vpcId}: this template synthesizes but cannot deploy. Pass -c vpcId=vpc-... to deploy.`,
        `vpcId is the placeholder ${config.vpcId}, which is no VPC of account ${config.account ?? '?'}: the deploy would fail on the flow log. Pass -c vpcId=vpc-... with the VPC to watch`,
      );
    }

    const accessLogs = accessLogsBucket(this, 'AccessLogs');
    this.flowLogs = new FlowLogs(this, 'FlowLogs', { envName: config.envName, vpcId: config.vpcId, format: config.flowLogFormat, accessLogs });
    this.evidence = new Evidence(this, 'Evidence', {
      envName: config.envName,
      accessLogs,
      retentionDays: config.evidenceRetentionDays,
      lockMode: config.evidenceLockMode,
    });
    this.alerts = new Alerts(this, 'Alerts', { envName: config.envName, warningEmails: config.warningEmails, criticalEmails: config.criticalEmails, approverEmails: config.approverEmails });
    this.blocklist = new WafBlocklist(this, 'Blocklist', { envName: config.envName, scope: config.wafScope });

    const queries = savedQueries({ config: config.detection, format: config.flowLogFormat });
    this.savedQueries = new SavedQueries(this, 'SavedQueries', { envName: config.envName, logGroup: this.flowLogs.logGroup, queries });
    const topTalkers = queries.find((q) => q.slug === 'top-talkers');
    if (!topTalkers) throw new Error('the saved queries have no top-talkers query for the dashboard');
    this.monitoring = new Monitoring(this, 'Monitoring', {
      envName: config.envName,
      detection: config.detection,
      flowLogs: this.flowLogs,
      alerts: this.alerts,
      topSourcesQuery: topTalkers.queryString,
    });

    this.athena =
      config.engine === 'athena'
        ? new AthenaEngine(this, 'Athena', {
            envName: config.envName,
            archive: this.flowLogs.archive,
            format: config.flowLogFormat,
            accessLogs,
            bytesScannedCutoff: config.athenaBytesScannedCutoff,
            projectionDays: FLOW_LOG_RETENTION.expireAfterDays,
          })
        : undefined;

    this.workflows = new Workflows(this, 'Workflows', { resources: this });
    const names = stateMachineNames(config.envName);
    this.workflowAlarms = new WorkflowAlarms(this, 'WorkflowAlarms', {
      stateMachines: {
        [names.detection.security]: this.workflows.detections.security.stateMachine,
        [names.detection.anomaly]: this.workflows.detections.anomaly.stateMachine,
        [names.incident]: this.workflows.incident.stateMachine,
      },
      alarmTopic: this.alerts.critical,
    });
    // A row of its own under the traffic and findings: whether the workflows ran at all.
    this.monitoring.dashboard.addWidgets(...this.workflowAlarms.widgets);
    this.auditorAccess = new AuditorAccess(this, 'AuditorAccess', { envName: config.envName, evidenceBucket: this.evidence.bucket, evidenceKey: this.evidence.key });

    this.outputs();
  }

  get flowLogGroup(): ILogGroup {
    return this.flowLogs.logGroup;
  }
  get archiveBucket(): IBucket {
    return this.flowLogs.archive;
  }
  get evidenceBucket(): IBucket {
    return this.evidence.bucket;
  }
  get warningTopic(): ITopic {
    return this.alerts.warning;
  }
  get criticalTopic(): ITopic {
    return this.alerts.critical;
  }
  get approvalTopic(): ITopic {
    return this.alerts.approval;
  }
  get ipSetV4(): CfnIPSet {
    return this.blocklist.ipv4;
  }
  get ipSetV6(): CfnIPSet {
    return this.blocklist.ipv6;
  }

  grantEvidenceWrite(grantee: IGrantable, prefix?: string): Grant {
    return this.evidence.grantWrite(grantee, prefix);
  }
  grantEvidenceRead(grantee: IGrantable, prefix?: string): Grant {
    return this.evidence.grantRead(grantee, prefix);
  }
  grantEvidenceGet(grantee: IGrantable, prefix: string): Grant {
    return this.evidence.grantGet(grantee, prefix);
  }
  grantIpSetUpdate(grantee: IGrantable): Grant {
    return this.blocklist.grantIpSetUpdate(grantee);
  }
  grantPublish(grantee: IGrantable, severity: Severity): Grant {
    return this.alerts.grantPublish(grantee, severity);
  }
  grantApprovalPublish(grantee: IGrantable): Grant {
    return this.alerts.grantApprovalPublish(grantee);
  }
  grantArchiveRead(grantee: IGrantable): Grant {
    return this.flowLogs.grantArchiveRead(grantee);
  }
  grantFlowLogQuery(role: IRole): Policy {
    return this.flowLogs.grantQuery(role);
  }
  grantFlowLogResults(role: IRole): Policy {
    return this.flowLogs.grantQueryResults(role);
  }

  /** Publish the Flowir metrics. PutMetricData has no resources, so the namespace condition is the scope. */
  grantMetricsPublish(role: IRole): Policy {
    const policy = new Policy(this, `PublishMetrics${role.node.addr}`, {
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
        }),
      ],
    });
    acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', `cloudwatch:PutMetricData supports no resource-level permissions; the cloudwatch:namespace condition limits it to the ${METRIC_NAMESPACE} namespace.`);
    return policy;
  }

  grantAthenaQuery(grantee: IGrantable): Grant {
    if (!this.athena) throw new EngineMismatchError(`grantAthenaQuery: the stack was built with engine "${this.config.engine}", not "athena"`);
    return this.athena.grantQuery(grantee);
  }

  private outputs(): void {
    const out = (id: string, value: string, description: string): void => {
      new CfnOutput(this, id, { value, description });
    };
    out('FlowLogGroupName', this.flowLogs.logGroup.logGroupName, 'CloudWatch Logs group of the VPC flow log (30 days)');
    out('ArchiveBucketName', this.flowLogs.archive.bucketName, 'S3 archive of the VPC flow log (Glacier at 90 days, Deep Archive at 365, expiry at 2555)');
    out('EvidenceBucketName', this.evidence.bucket.bucketName, 'Incident evidence (Object Lock)');
    out('WarningTopicArn', this.alerts.warning.topicArn, 'SNS topic for WARNING alerts');
    out('CriticalTopicArn', this.alerts.critical.topicArn, 'SNS topic for CRITICAL alerts');
    out('BlocklistRuleGroupArn', this.blocklist.ruleGroup.attrArn, 'WAF rule group that blocks contained sources: add it to your web ACL');
    out('BlockedIpv4SetArn', this.blocklist.ipv4.attrArn, 'WAF IP set of contained IPv4 sources');
    out('BlockedIpv6SetArn', this.blocklist.ipv6.attrArn, 'WAF IP set of contained IPv6 sources');
    out('AuditorPolicyArn', this.auditorAccess.policy.managedPolicyArn, 'Managed policy for auditors (flowir audit --aws): attach it to their role, user or group');
    out('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    if (this.athena) {
      out('AthenaWorkGroup', this.athena.workGroup.name, 'Athena workgroup for flow-log queries');
      out('AthenaTable', this.athena.qualifiedTableName, 'Glue table over the S3 archive');
    }
  }
}
