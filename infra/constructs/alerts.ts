import { Annotations, Aws, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnSubscription, SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../../core/detection/rules';
import { APPROVER_ATTRIBUTE } from '../../handlers/ports';

export interface AlertsProps {
  readonly envName: string;
  readonly warningEmails: readonly string[];
  readonly criticalEmails: readonly string[];
  /** Each gets a subscription of their own to the approval topic, receiving only their decision links. */
  readonly approverEmails: readonly string[];
}

/** Two spellings of one address, or a subscription SNS or the CDK would refuse. */
export class AlertsConfigError extends Error {
  override readonly name = 'AlertsConfigError';
}

/**
 * By default a topic can have 200 filter policies (a quota AWS raises on request; the
 * FilterPolicyLimitExceeded error says so). Source:
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html (docs/aws-facts.md §7).
 */
export const DEFAULT_FILTER_POLICIES_PER_TOPIC = 200;

/**
 * The `warning` and `critical` topics: KMS-encrypted, TLS-only, e-mail subscribers from
 * configuration; and the `approval` topic, where each approver's subscription receives only the
 * notices addressed to them (their own decision links).
 */
export class Alerts extends Construct {
  readonly key: Key;
  readonly warning: Topic;
  readonly critical: Topic;
  readonly approval: Topic;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: `flowir ${props.envName}: encrypts the alert topics`,
      enableKeyRotation: true,
      // Nothing stays encrypted under this key once the topics are gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to encrypted topics only if the key lets CloudWatch use it;
    // the AWS-managed SNS key cannot be given that permission, hence a key of our own.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.warning = this.topic('Warning', `flowir-${props.envName}-warning`, `flowir ${props.envName} WARNING`, props.warningEmails);
    this.critical = this.topic('Critical', `flowir-${props.envName}-critical`, `flowir ${props.envName} CRITICAL`, props.criticalEmails);
    this.approval = this.approvalTopic(`flowir-${props.envName}-approval`, `flowir ${props.envName} APPROVAL`, props.approverEmails);
  }

  topicFor(severity: Severity): Topic {
    return severity === 'CRITICAL' ? this.critical : this.warning;
  }

  /** Publish to one severity's topic (and use the key for it, which encrypted topics need). */
  grantPublish(grantee: IGrantable, severity: Severity): Grant {
    const publish = Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.topicFor(severity).topicArn] });
    Grant.addToPrincipal({ grantee, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [this.key.keyArn] });
    return publish;
  }

  /** Publish each approver's own notice to the approval topic (and use the key for it). */
  grantApprovalPublish(grantee: IGrantable): Grant {
    const publish = Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [this.approval.topicArn] });
    Grant.addToPrincipal({ grantee, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [this.key.keyArn] });
    return publish;
  }

  /**
   * A link decides as the approver it names, so each approver's subscription has a filter policy
   * that accepts only messages whose `approver` attribute is their address: SNS delivers a message
   * to a subscription only when its filter policy accepts the message's attributes, and a
   * subscription without a policy would get everything
   * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html), hence every
   * subscription here has one, and no CloudWatch alarm may publish here. Matching is exact and
   * case-sensitive (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html):
   * request-approval sets the attribute to the address as configured, the same string as here.
   * The scope is set to MessageAttributes, SNS's default, explicitly, so that no later change of
   * default could turn the policy onto the body
   * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html).
   */
  private approvalTopic(topicName: string, displayName: string, emails: readonly string[]): Topic {
    const seen = new Map<string, string>();
    for (const email of emails) {
      const other = seen.get(email.toLowerCase());
      // One mailbox, two subscriptions and two links, each deciding as a different approver.
      if (other !== undefined) throw new AlertsConfigError(`approverEmails lists one address twice (${other}, ${email})`);
      seen.set(email.toLowerCase(), email);
    }
    if (emails.length > DEFAULT_FILTER_POLICIES_PER_TOPIC) {
      Annotations.of(this).addWarningV2(
        'flowir:approver-filter-quota',
        `${emails.length} approvers need ${emails.length} filter policies on ${topicName}; SNS allows ${DEFAULT_FILTER_POLICIES_PER_TOPIC} per topic by default: ask AWS for a higher quota before deploying, or the subscriptions beyond it fail`,
      );
    }
    const topic = new Topic(this, 'Approval', { topicName, displayName, masterKey: this.key, enforceSSL: true });
    for (const email of emails) {
      const subscription = topic.addSubscription(new EmailSubscription(email, { filterPolicy: { [APPROVER_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: [email] }) } }));
      (subscription.node.defaultChild as CfnSubscription).filterPolicyScope = 'MessageAttributes';
    }
    return topic;
  }

  private topic(id: string, topicName: string, displayName: string, emails: readonly string[]): Topic {
    const topic = new Topic(this, id, { topicName, displayName, masterKey: this.key, enforceSSL: true });
    // Only this account's alarms may publish through the service principal.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    for (const email of emails) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}
