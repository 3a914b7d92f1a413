import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeadLetters } from '../../../infra/constructs/dead-letters';
import { TestApp, build, buildStack, idOf, only } from '../synth';

const { template, stack } = build({ approverEmails: 'lead@example.com' });
const schedules = stack.workflows.schedules;
const queueId = idOf(stack, schedules.deadLetters.queue);
const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
const ruleArn = (rule: Parameters<typeof idOf>[1]) => ({ 'Fn::GetAtt': [idOf(stack, rule), 'Arn'] });
const fnId = (handler: 'export-history' | 'sweep-expired') => idOf(stack, stack.workflows.functions[handler].function);

describe('the dead-letter queue', () => {
  it('is flowir-<env>-dead-letters, the only queue, encrypted with SQS-managed keys and kept 14 days', () => {
    expect(only(template, 'AWS::SQS::Queue')).toEqual({
      id: queueId,
      props: { QueueName: 'flowir-dev-dead-letters', SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
    });
  });

  it('refuses every request without TLS, and lets EventBridge send to it only from the export and release rules', () => {
    const policy = only(template, 'AWS::SQS::QueuePolicy', (p) => JSON.stringify(p.Queues) === JSON.stringify([{ Ref: queueId }])).props;
    const fromRule = (rule: Parameters<typeof idOf>[1]) => ({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: { ArnEquals: { 'aws:SourceArn': ruleArn(rule) } },
    });
    const statements = (policy.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement.map(({ Sid: _sid, ...rest }) => rest);
    expect(statements).toEqual([
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Resource: queueArn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      fromRule(schedules.executionFinished),
      fromRule(schedules.incidentEndedWithoutRelease),
    ]);
  });

  it.each([
    ['ExecutionFinished → export-history', () => schedules.executionFinished, 'export-history'],
    ['IncidentEndedWithoutRelease → sweep-expired', () => schedules.incidentEndedWithoutRelease, 'sweep-expired'],
  ] as const)('receives the events of %s that EventBridge could not deliver', (_name, rule, handler) => {
    const targets = template.toJSON().Resources[idOf(stack, rule())].Properties.Targets as Array<Record<string, unknown>>;
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ Arn: { 'Fn::GetAtt': [fnId(handler), 'Arn'] }, DeadLetterConfig: { Arn: queueArn } });
  });

  it('is not the dead-letter queue of the sweep schedule, whose next tick makes good a lost one', () => {
    const targets = template.toJSON().Resources[idOf(stack, schedules.sweep)].Properties.Targets as Array<Record<string, unknown>>;
    expect(targets.map((t) => t.DeadLetterConfig)).toEqual([undefined]);
  });

  it.each(['export-history', 'sweep-expired'] as const)('receives the async invocations of %s that still fail after two Lambda retries', (handler) => {
    const config = only(template, 'AWS::Lambda::EventInvokeConfig', (p) => JSON.stringify(p.FunctionName) === JSON.stringify({ Ref: fnId(handler) })).props;
    expect(config).toEqual({ FunctionName: { Ref: fnId(handler) }, Qualifier: '$LATEST', MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: queueArn } } });
    // The function's role sends the failure record itself.
    const policy = only(template, 'AWS::IAM::Policy', (p) => JSON.stringify(p.Roles) === JSON.stringify([{ Ref: idOf(stack, stack.workflows.functions[handler].role) }])).props;
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual({ Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: queueArn });
  });

  it('is where no other function sends its failures', () => {
    expect(Object.keys(template.findResources('AWS::Lambda::EventInvokeConfig'))).toHaveLength(2);
  });
});

describe('the dead-letter alarm', () => {
  it('goes off on the first message waiting (one 5-minute period) and tells the critical topic', () => {
    const alarm = only(template, 'AWS::CloudWatch::Alarm', (p) => p.AlarmName === 'flowir-dev-dead-letters').props;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: idOf(stack, stack.alerts.critical) }],
    });
  });
});

describe('DeadLetters with a KMS key', () => {
  it('encrypts the queue with the key and lets EventBridge, which delivers as a service, use it', () => {
    const s = new Stack(new TestApp({ builtinCloudFormationValidation: false }), 'Keyed');
    const key = new Key(s, 'Key');
    new DeadLetters(s, 'DeadLetters', { envName: 'test', alarmTopic: new Topic(s, 'Critical'), encryptionKey: key });
    const t = Template.fromStack(s);
    expect(only(t, 'AWS::SQS::Queue').props).toEqual({ QueueName: 'flowir-test-dead-letters', KmsMasterKeyId: { 'Fn::GetAtt': [idOf(s, key), 'Arn'] }, MessageRetentionPeriod: 1209600 });
    const statements = only(t, 'AWS::KMS::Key').props.KeyPolicy as { Statement: unknown[] };
    expect(statements.Statement).toContainEqual({
      Sid: 'EventBridgeDeadLetters',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });
});

describe('cdk-nag on the dead-letter queue', () => {
  const queueFindings = (s: Stack): string[] =>
    new AwsSolutionsChecks(s.node.scope as App)
      .validateScope(s)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
      .filter((f) => f.includes('/DeadLetters/'));

  it('finds nothing unacknowledged: "no dead-letter queue of its own" (SQS3) is acknowledged on the queue that is one', () => {
    expect(queueFindings(buildStack().stack)).toEqual([]);
  });

  it('reports the queue once it is unencrypted (SQS2) or accepts plain HTTP (SQS4)', () => {
    const { stack: s } = buildStack();
    const queue = s.workflows.schedules.deadLetters.queue;
    (queue.node.defaultChild as CfnQueue).sqsManagedSseEnabled = false;
    queue.node.tryRemoveChild('Policy');
    expect(queueFindings(s).sort()).toEqual(['AwsSolutions-SQS2 Flowir-dev/Workflows/Schedules/DeadLetters/Queue/Resource', 'AwsSolutions-SQS4 Flowir-dev/Workflows/Schedules/DeadLetters/Queue/Resource']);
  });
});
