/**
 * An AthenaClient whose requests never leave the process: its HTTP handler answers them from the
 * local Athena, on Athena's own wire protocol (AWS JSON 1.1: `X-Amz-Target: AmazonAthena.<Operation>`,
 * errors as `{"__type": ..., "Message": ...}`), read and written with the SDK's own JSON codec and the
 * operations' schemas. Code written for AWS (handlers/aws/athena-results.ts) so runs unchanged, and
 * the SDK's own deserializer and exception classes check what the local Athena answers.
 */
import { AthenaClient, AthenaServiceException, GetQueryExecution$, GetQueryResults$, StartQueryExecution$ } from '@aws-sdk/client-athena';
import { HttpResponse, JsonCodec2, type HttpRequest } from '@smithy/core/protocols';
import type { $Schema, $SchemaRef, StaticOperationSchema } from '@smithy/types';
import { internalError, type LocalAthenaService } from './service';

// The AWS JSON protocols' codec settings, as the SDK's AwsJsonRpcProtocol sets them: member names as
// they are (no jsonName) and timestamps as epoch seconds unless a trait says otherwise.
const codec = (): JsonCodec2 => new JsonCodec2({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false });

type Handler = (service: LocalAthenaService, input: never) => Promise<object>;

const OPERATIONS: Readonly<Record<string, { readonly schema: StaticOperationSchema; readonly call: Handler }>> = {
  StartQueryExecution: { schema: StartQueryExecution$, call: (s, i) => s.startQueryExecution(i) },
  GetQueryExecution: { schema: GetQueryExecution$, call: (s, i) => s.getQueryExecution(i) },
  GetQueryResults: { schema: GetQueryResults$, call: (s, i) => s.getQueryResults(i) },
};

/** A schema reference may be a thunk (`() => X$`). */
const deref = (ref: $SchemaRef): $Schema => (typeof ref === 'function' ? ref() : ref);

function json(statusCode: number, body: Uint8Array | string, headers: Record<string, string> = {}): { response: HttpResponse } {
  // The SDK's codec returns a Uint8Array that warns when read as a string: copy its bytes as bytes.
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  return { response: new HttpResponse({ statusCode, headers: { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(bytes.length), ...headers }, body: bytes }) };
}

function errorResponse(e: AthenaServiceException): { response: HttpResponse } {
  const body: Record<string, unknown> = { __type: e.name, Message: e.message };
  const code = (e as { AthenaErrorCode?: unknown }).AthenaErrorCode;
  if (typeof code === 'string') body.AthenaErrorCode = code;
  return json(e.$fault === 'server' ? 500 : 400, JSON.stringify(body), { 'x-amzn-errortype': e.name });
}

/** The SDK's HTTP handler interface, answered locally. */
export class LocalAthenaHttpHandler {
  readonly metadata = { handlerProtocol: 'local' };

  constructor(private readonly service: LocalAthenaService) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const target = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? '';
    const name = target.startsWith('AmazonAthena.') ? target.slice('AmazonAthena.'.length) : '';
    const operation = OPERATIONS[name];
    if (operation === undefined) {
      return json(400, JSON.stringify({ __type: 'UnknownOperationException', Message: `the local Athena does not serve ${target || 'this request'}` }));
    }
    const raw = request.body;
    const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : '{}';
    try {
      const input: unknown = await codec().createDeserializer().read(deref(operation.schema[4]), text);
      const output = await operation.call(this.service, input as never);
      const serializer = codec().createSerializer();
      serializer.write(deref(operation.schema[5]), output);
      return json(200, serializer.flush());
    } catch (e) {
      return errorResponse(e instanceof AthenaServiceException ? e : internalError(e));
    }
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/**
 * An AthenaClient served by the local Athena. Its credentials are fixed stand-ins: requests are
 * signed as the SDK always signs them, and nothing reads them.
 */
export function localAthenaClient(service: LocalAthenaService, region = 'us-east-1'): AthenaClient {
  return new AthenaClient({
    region,
    credentials: { accessKeyId: 'LOCALATHENA', secretAccessKey: 'local-athena-stand-in' },
    requestHandler: new LocalAthenaHttpHandler(service),
  });
}
