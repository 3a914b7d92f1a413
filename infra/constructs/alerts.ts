import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import { Grant, PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity } from '../../core/detection/rules';

export interface AlertsProps {
  readonly envName: string;
  readonly warningEmails: readonly string[];
  readonly criticalEmails: readonly string[];
}

/** The `warning` and `critical` topics: KMS-encrypted, TLS-only, e-mail subscribers from configuration. */
export class Alerts extends Construct {
  readonly key: Key;
  readonly warning: Topic;
  readonly critical: Topic;

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
