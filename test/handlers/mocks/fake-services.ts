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
 * MessageStructure json the message must be a JSON object with a string `default`. Published
 * messages are recorded per topic.
 */
export function fakeSns(topicArns: readonly string[], options: Everywhere = {}) {
  const client = new SNSClient({ region: 'us-east-1' });
  const mock = mockClient(options.everyInstance === true ? SNSClient : client);
  const published: Array<{ topicArn: string; subject: string | undefined; message: string; structure: string | undefined; messageId: string }> = [];
  mock.on(PublishCommand).callsFake(async (input: { TopicArn?: string; Subject?: string; Message?: string; MessageStructure?: string }) => {
    await tick();
    if (input.TopicArn === undefined || !topicArns.includes(input.TopicArn)) throw new Error(`NotFoundException: Topic does not exist: ${String(input.TopicArn)}`);
    if (input.Subject !== undefined && (input.Subject.length === 0 || input.Subject.length > 100 || !/^[\x20-\x7e]+$/.test(input.Subject))) {
      throw new InvalidParameterException({ message: 'Invalid parameter: Subject', ...meta });
    }
    if (input.MessageStructure === 'json') {
      let doc: unknown;
      try {
        doc = JSON.parse(input.Message ?? '');
      } catch {
        throw new InvalidParameterException({ message: 'Invalid parameter: Message Structure - JSON message body failed to parse', ...meta });
      }
      if (typeof doc !== 'object' || doc === null || typeof (doc as Record<string, unknown>).default !== 'string') {
        throw new InvalidParameterException({ message: 'Invalid parameter: Message Structure - No default entry in JSON message body', ...meta });
      }
    }
    const messageId = randomUUID();
    published.push({ topicArn: input.TopicArn, subject: input.Subject, message: input.Message ?? '', structure: input.MessageStructure, messageId });
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
