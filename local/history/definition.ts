/** The parts of an ASL definition the history needs: where each state lives, its type, its exits and its task resource. */

export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

/** Where a state's events come from: the top level, a Map's item processor, or a Parallel branch. */
export type Scope = { readonly kind: 'root' } | { readonly kind: 'map'; readonly container: string } | { readonly kind: 'branch'; readonly container: string; readonly branch: number };

export interface StateInfo {
  readonly name: string;
  readonly type: StateType;
  readonly scope: Scope;
  /** States that can follow this one (Next, Choice targets, Default, Catch targets). */
  readonly next: readonly string[];
  readonly resource: string | null;
  readonly timeoutSeconds: number | null;
  readonly heartbeatSeconds: number | null;
}

export class HistoryDefinitionError extends Error {
  override readonly name = 'HistoryDefinitionError';
}

const STATE_TYPES: readonly StateType[] = ['Task', 'Parallel', 'Map', 'Pass', 'Wait', 'Choice', 'Succeed', 'Fail'];

/**
 * Every state of a definition, nested ones included, by name. Names must be unique across the
 * whole machine (CDK enforces it), since the runner's events name states without their scope.
 */
export class DefinitionIndex {
  private readonly states = new Map<string, StateInfo>();
  private readonly starts = new Map<string, string>();

  constructor(definition: unknown) {
    this.addMachine(definition, { kind: 'root' }, 'definition');
  }

  state(name: string): StateInfo | undefined {
    return this.states.get(name);
  }

  /** The first state of a scope. */
  startAt(scope: Scope): string | undefined {
    return this.starts.get(scopeKey(scope));
  }

  private addMachine(machine: unknown, scope: Scope, where: string): void {
    if (!isObject(machine) || typeof machine.StartAt !== 'string' || !isObject(machine.States)) {
      throw new HistoryDefinitionError(`${where}: expected an ASL machine {StartAt, States}`);
    }
    this.starts.set(scopeKey(scope), machine.StartAt);
    for (const [name, raw] of Object.entries(machine.States)) {
      const at = `${where}.States.${name}`;
      if (!isObject(raw) || typeof raw.Type !== 'string' || !STATE_TYPES.includes(raw.Type as StateType)) throw new HistoryDefinitionError(`${at}: expected a state with a Type`);
      if (this.states.has(name)) throw new HistoryDefinitionError(`${at}: the name "${name}" is used twice; the history cannot tell the two apart`);
      const type = raw.Type as StateType;
      this.states.set(name, {
        name,
        type,
        scope,
        next: exits(raw),
        resource: typeof raw.Resource === 'string' ? raw.Resource : null,
        timeoutSeconds: typeof raw.TimeoutSeconds === 'number' ? raw.TimeoutSeconds : null,
        heartbeatSeconds: typeof raw.HeartbeatSeconds === 'number' ? raw.HeartbeatSeconds : null,
      });
      if (type === 'Map') this.addMachine(raw.ItemProcessor ?? raw.Iterator, { kind: 'map', container: name }, `${at}.ItemProcessor`);
      if (type === 'Parallel') {
        if (!Array.isArray(raw.Branches)) throw new HistoryDefinitionError(`${at}.Branches: expected an array`);
        raw.Branches.forEach((b: unknown, i: number) => this.addMachine(b, { kind: 'branch', container: name, branch: i }, `${at}.Branches[${i}]`));
      }
    }
  }
}

export function scopeKey(scope: Scope): string {
  switch (scope.kind) {
    case 'root':
      return 'root';
    case 'map':
      return `map:${scope.container}`;
    case 'branch':
      return `branch:${scope.container}:${scope.branch}`;
  }
}

function exits(state: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string' && !out.includes(v)) out.push(v);
  };
  add(state.Next);
  add(state.Default);
  for (const list of [state.Choices, state.Catch]) {
    if (Array.isArray(list)) for (const c of list) if (isObject(c)) add(c.Next);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `resourceType` and `resource` of TaskScheduled as Step Functions writes them:
 * `arn:aws:states:::lambda:invoke.waitForTaskToken` → lambda / invoke.waitForTaskToken,
 * `arn:aws:states:::aws-sdk:cloudwatchlogs:startQuery` → aws-sdk:cloudwatchlogs / startQuery.
 */
export function taskResource(resource: string | null): { readonly resourceType: string; readonly resource: string } {
  if (resource === null) return { resourceType: 'unknown', resource: 'unknown' };
  const integration = /^arn:[^:]+:states:::(.+)$/.exec(resource);
  if (integration) {
    const rest = integration[1] ?? '';
    const parts = rest.split(':');
    const typeParts = parts[0] === 'aws-sdk' ? 2 : 1;
    return { resourceType: parts.slice(0, typeParts).join(':'), resource: parts.slice(typeParts).join(':') };
  }
  const service = /^arn:[^:]+:([^:]+):/.exec(resource);
  return { resourceType: service?.[1] ?? 'unknown', resource };
}
