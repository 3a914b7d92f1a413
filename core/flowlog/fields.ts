/**
 * The VPC Flow Logs record fields flowir knows, with the type each value must have.
 * Unknown fields (a newer version than this list) are accepted as free text.
 */
export type FieldType =
  | 'int' // a non-negative integer that fits in a JS number (ports, protocol, flags, version)
  | 'count' // packets, bytes: non-negative integers that may exceed 2^32
  | 'time' // epoch seconds
  | 'addr' // IPv4 or IPv6 address
  | 'action' // ACCEPT | REJECT
  | 'log-status' // OK | NODATA | SKIPDATA
  | 'text';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** The flow-log version that introduced the field. */
  readonly version: number;
}

const spec = (name: string, type: FieldType, version: number): FieldSpec => ({ name, type, version });

export const KNOWN_FIELDS: readonly FieldSpec[] = [
  spec('version', 'int', 2),
  spec('account-id', 'text', 2),
  spec('interface-id', 'text', 2),
  spec('srcaddr', 'addr', 2),
  spec('dstaddr', 'addr', 2),
  spec('srcport', 'int', 2),
  spec('dstport', 'int', 2),
  spec('protocol', 'int', 2),
  spec('packets', 'count', 2),
  spec('bytes', 'count', 2),
  spec('start', 'time', 2),
  spec('end', 'time', 2),
  spec('action', 'action', 2),
  spec('log-status', 'log-status', 2),
  spec('vpc-id', 'text', 3),
  spec('subnet-id', 'text', 3),
  spec('instance-id', 'text', 3),
  spec('tcp-flags', 'int', 3),
  spec('type', 'text', 3),
  spec('pkt-srcaddr', 'addr', 3),
  spec('pkt-dstaddr', 'addr', 3),
  spec('region', 'text', 4),
  spec('az-id', 'text', 4),
  spec('sublocation-type', 'text', 4),
  spec('sublocation-id', 'text', 4),
  spec('pkt-src-aws-service', 'text', 5),
  spec('pkt-dst-aws-service', 'text', 5),
  spec('flow-direction', 'text', 5),
  spec('traffic-path', 'int', 5),
  spec('ecs-cluster-arn', 'text', 7),
  spec('ecs-cluster-name', 'text', 7),
  spec('ecs-container-instance-arn', 'text', 7),
  spec('ecs-container-instance-id', 'text', 7),
  spec('ecs-container-id', 'text', 7),
  spec('ecs-second-container-id', 'text', 7),
  spec('ecs-service-name', 'text', 7),
  spec('ecs-task-definition-arn', 'text', 7),
  spec('ecs-task-arn', 'text', 7),
  spec('ecs-task-id', 'text', 7),
  spec('reject-reason', 'text', 8),
];

const BY_NAME = new Map(KNOWN_FIELDS.map((f) => [f.name, f]));

/** Header names may come hyphenated (S3 delivery) or underscored (Athena/Parquet columns). */
export function normalizeFieldName(name: string): string {
  return name.trim().toLowerCase().replace(/_/g, '-');
}

export function fieldSpec(name: string): FieldSpec {
  const normal = normalizeFieldName(name);
  return BY_NAME.get(normal) ?? { name: normal, type: 'text', version: 0 };
}

export function isKnownField(name: string): boolean {
  return BY_NAME.has(normalizeFieldName(name));
}

/** Fields every detection reads: a record missing any of them (`-`) takes no part in detection. */
export const DETECTION_FIELDS = ['srcaddr', 'dstport', 'bytes', 'start', 'action'] as const;
export type DetectionField = (typeof DETECTION_FIELDS)[number];

/** The default field lists AWS writes for each version (all fields up to that version, in table order). */
export function defaultFieldsForVersion(version: number): readonly string[] {
  return KNOWN_FIELDS.filter((f) => f.version >= 2 && f.version <= version && f.version <= 5).map((f) => f.name);
}
