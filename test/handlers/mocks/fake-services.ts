/**
 * Step Functions task callbacks, SNS, OpsCenter and Secrets Manager behind aws-sdk-client-mock,
 * each keeping the rules of the real API that the adapters rely on (see each function).
 */
import { randomUUID } from 'node:crypto';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidOutput, InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateOpsItemCommand, OpsItemAlreadyExistsException, OpsItemInvalidParameterException, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';

const meta = { $metadata: { httpStatusCode: 400 } };

/** `everyInstance`: mock every client of the class (a Lambda entry module creates its own), not just the one returned. */
interface Everywhere {
  readonly everyInstance?: boolean;
}
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Task tokens of `.waitForTaskToken` states: answering a waiting task closes it; answering it again
 * (or after it timed out) raises TaskTimedOut, as AWS does; a token never issued raises
 * InvalidToken; output must be JSON of at most 256 KiB (InvalidOutput).
 */
export function fakeStepFunctions(options: Everywhere = {}) {
  const client = new SFNClient({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? SFNClient : client);
  const tasks = new Map<string, { state: 'waiting' | 'succeeded' | 'failed' | 'timed-out'; output?: unknown; error?: string }>();
  const close = (token: string | undefined): { state: string } => {
    const task = token === undefined ? undefined : tasks.get(token);
    if (task === undefined) throw new InvalidToken({ message: 'Invalid Token', ...meta });
    if (task.state !== 'waiting') throw new TaskTimedOut({ message: 'Task Timed Out', ...meta });
    return task;
  };
  mock.on(SendTaskSuccessCommand).callsFake(async (input: { taskToken?: string; output?: string }) => {
    await tick();
    const task = close(input.taskToken) as { state: string; output?: unknown };
    let output: unknown;
    try {
      output = JSON.parse(input.output ?? '');
    } catch {
      throw new InvalidOutput({ message: 'Invalid output JSON', ...meta });
    }
    if (Buffer.byteLength(input.output ?? '', 'utf8') > 256 * 1024) throw new InvalidOutput({ message: 'Output exceeds 256 KiB', ...meta });
    task.state = 'succeeded';
    task.output = output;
    return {};
  });
  mock.on(SendTaskFailureCommand).callsFake(async (input: { taskToken?: string; error?: string }) => {
    await tick();
    const task = close(input.taskToken) as { state: string; error?: string };
    task.state = 'failed';
    task.error = input.error;
    return {};
  });
  return {
    client,
    mock,
    /** A task waiting for its token (as a `.waitForTaskToken` state issues). */
    issueToken: (): string => {
      const token = `AQB${randomUUID().replace(/-/g, '')}${'x'.repeat(200)}`;
      tasks.set(token, { state: 'waiting' });
      return token;
    },
    timeOut: (token: string): void => {
      const t = tasks.get(token);
      if (t) t.state = 'timed-out';
    },
    task: (token: string) => tasks.get(token),
  };
}

/**
 * SNS topics: Subject must be printable ASCII, one line, at most 100 characters; with
 * MessageStructure json the message must be a JSON object with a string `default`. Message
 * attributes: a name of 1 to 256 of A-Z a-z 0-9 _ - . (no leading, trailing or doubled period, not
 * starting with AWS. or Amazon.), a type of String, String.Array, Number or Binary, and a non-empty
 * value; the body and the attributes (names, types, values) together at most 256 KiB
 * (262,144 bytes), else InvalidParameter. Sources: the SDK model docs of PublishInput and
 * MessageAttributeValue (@aws-sdk/client-sns); https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html;
 * docs/aws-facts.md §7. Published messages are recorded per topic.
 */
export function fakeSns(topicArns: readonly string[], options: Everywhere = {}) {
  const client = new SNSClient({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? SNSClient : client);
  type Attributes = Record<string, { DataType?: string; StringValue?: string; BinaryValue?: Uint8Array }>;
  const published: Array<{ topicArn: string; subject: string | undefined; message: string; structure: string | undefined; attributes: Attributes | undefined; messageId: string }> = [];
  const invalid = (what: string): never => {
    throw new InvalidParameterException({ message: `Invalid parameter: ${what}`, ...meta });
  };
  mock.on(PublishCommand).callsFake(async (input: { TopicArn?: string; Subject?: string; Message?: string; MessageStructure?: string; MessageAttributes?: Attributes }) => {
    await tick();
    if (input.TopicArn === undefined || !topicArns.includes(input.TopicArn)) throw new Error(`NotFoundException: Topic does not exist: ${String(input.TopicArn)}`);
    if (input.Subject !== undefined && (input.Subject.length === 0 || input.Subject.length > 100 || !/^[\x20-\x7e]+$/.test(input.Subject))) invalid('Subject');
    if (input.MessageStructure === 'json') {
      let doc: unknown;
      try {
        doc = JSON.parse(input.Message ?? '');
      } catch {
        invalid('Message Structure - JSON message body failed to parse');
      }
      if (typeof doc !== 'object' || doc === null || typeof (doc as Record<string, unknown>).default !== 'string') invalid('Message Structure - No default entry in JSON message body');
    }
    let bytes = Buffer.byteLength(input.Message ?? '', 'utf8');
    if (bytes === 0) invalid('Empty message');
    for (const [name, a] of Object.entries(input.MessageAttributes ?? {})) {
      if (name.length === 0 || name.length > 256 || !/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws|amazon)\./i.test(name)) {
        invalid(`MessageAttributes: the name ${JSON.stringify(name)} is not valid`);
      }
      if (a.DataType === undefined || !['String', 'String.Array', 'Number', 'Binary'].includes(a.DataType)) invalid(`The message attribute '${name}' has an invalid message attribute type`);
      const type = a.DataType as string;
      const value = type === 'Binary' ? a.BinaryValue : a.StringValue;
      if (value === undefined || value.length === 0) invalid(`The message attribute '${name}' must contain non-empty message attribute value`);
      if (type === 'String.Array' && !Array.isArray(JSON.parse(a.StringValue ?? 'null'))) invalid(`The message attribute '${name}' with type 'String.Array' must be a JSON array`);
      bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(type, 'utf8') + (type === 'Binary' ? (a.BinaryValue?.length ?? 0) : Buffer.byteLength(a.StringValue ?? '', 'utf8'));
    }
    if (bytes > 262_144) invalid('Message too long');
    const messageId = randomUUID();
    published.push({ topicArn: input.TopicArn, subject: input.Subject, message: input.Message ?? '', structure: input.MessageStructure, attributes: input.MessageAttributes, messageId });
    return { MessageId: messageId };
  });
  return { client, mock, published };
}

/**
 * OpsCenter CreateOpsItem: Title 1-1024 and Description 1-2048 characters, Source without
 * "aws"/"amazon"/"amzn", OperationalData keys not starting with a reserved prefix (only the
 * documented `/aws/dedup` and `/aws/resources` are allowed) and values up to 20 KB; a dedup string
 * matching an open OpsItem raises OpsItemAlreadyExistsException with that OpsItem's id.
 */
export function fakeOpsCenter(options: Everywhere = {}) {
  const client = new SSMClient({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? SSMClient : client);
  const items: Array<{ id: string; title: string; description: string; severity: string | undefined; data: Record<string, { Value?: string; Type?: string }>; dedup: string | undefined }> = [];
  const invalid = (what: string): never => {
    throw new OpsItemInvalidParameterException({ message: `Invalid parameter: ${what}`, ParameterNames: [what], ...meta });
  };
  mock.on(CreateOpsItemCommand).callsFake(async (input: { Title?: string; Description?: string; Source?: string; Severity?: string; OperationalData?: Record<string, { Value?: string; Type?: string }> }) => {
    await tick();
    if (!input.Title || input.Title.length > 1024) invalid('Title');
    if (!input.Description || input.Description.length > 2048) invalid('Description');
    if (!input.Source || /aws|amazon|amzn/i.test(input.Source)) invalid('Source');
    const data = input.OperationalData ?? {};
    for (const [k, v] of Object.entries(data)) {
      if (/^\/?(amazon|aws|amzn|ssm)/i.test(k) && k !== '/aws/dedup' && k !== '/aws/resources') invalid(`OperationalData key ${k}`);
      if (Buffer.byteLength(v.Value ?? '', 'utf8') > 20 * 1024) invalid(`OperationalData ${k}`);
    }
    let dedup: string | undefined;
    if (data['/aws/dedup'] !== undefined) {
      const parsed = JSON.parse(data['/aws/dedup'].Value ?? '') as { dedupString?: unknown };
      if (typeof parsed.dedupString !== 'string' || parsed.dedupString.length === 0 || parsed.dedupString.length > 64) invalid('dedupString');
      dedup = parsed.dedupString as string;
      const existing = items.find((i) => i.dedup === dedup);
      if (existing) throw new OpsItemAlreadyExistsException({ message: 'OpsItem already exists', OpsItemId: existing.id, ...meta });
    }
    const id = `oi-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    items.push({ id, title: input.Title as string, description: input.Description as string, severity: input.Severity, data, dedup });
    return { OpsItemId: id, OpsItemArn: `arn:aws:ssm:us-east-1:123456789012:opsitem/${id}` };
  });
  return { client, mock, items };
}

/** Secrets Manager secret versions by stage; a missing stage raises ResourceNotFoundException. */
export function fakeSecrets(secretId: string, versions: Partial<Record<'AWSCURRENT' | 'AWSPREVIOUS', { readonly id: string; readonly value: string }>>, options: Everywhere = {}) {
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? SecretsManagerClient : client);
  mock.on(GetSecretValueCommand).callsFake(async (input: { SecretId?: string; VersionStage?: 'AWSCURRENT' | 'AWSPREVIOUS' }) => {
    await tick();
    const v = input.SecretId === secretId ? versions[input.VersionStage ?? 'AWSCURRENT'] : undefined;
    if (v === undefined) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label", ...meta });
    return { ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}`, Name: secretId, VersionId: v.id, SecretString: v.value, VersionStages: [input.VersionStage ?? 'AWSCURRENT'] };
  });
  return { client, mock, versions };
}
