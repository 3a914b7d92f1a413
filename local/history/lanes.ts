/**
 * Routing the runner's events into lanes. aws-local-stepfunctions forwards the events of Map
 * iterations and Parallel branches from child runners, so they arrive late and interleaved, and
 * name their lane only partly (`index` is the outermost Map's iteration; a nested Map's iteration
 * events carry its own index but not the outer one; branch events carry none). Within one lane the
 * order is exact. So each event is placed by the definition (which container holds its state), the
 * index when given, and data flow: a state's StateEntered input is the previous state's output in
 * the same lane, and its later events carry that same input.
 */
import { DefinitionIndex, type Scope, type StateInfo } from './definition';
import { isMapIterationEvent, isStateEvent, iterationValue, type LibraryEvent, type LibraryMapIterationEvent, type LibraryStateEvent } from './library-events';
import { sameJson } from './same-json';
import type { TaskAttempt } from './task-calls';

export interface RoutedEvent {
  readonly ev: LibraryEvent;
  /** Arrival order. */
  readonly seq: number;
  readonly realMs: number;
  /** The lane could not be established from the data; the best guess was taken. */
  uncertain: boolean;
  /** For Task events: the attempt this event starts or ends. */
  attempt?: TaskAttempt;
  /** For Map/Parallel StateEntered: the occurrence it opens. */
  occurrence?: Occurrence;
  /** For a state's event: the lane it was placed in. */
  lane?: Lane;
}

export class Lane {
  readonly items: RoutedEvent[] = [];
  /** The state running in this lane (entered, not exited), with the input it was entered with. */
  open: { readonly state: string; readonly input: unknown; attempt: TaskAttempt | null } | null = null;
  tail: { readonly kind: 'start'; readonly value: unknown; readonly known: boolean } | { readonly kind: 'exited'; readonly state: string; readonly value: unknown };
  /** A Map iteration lane whose MapIterationSucceeded/Failed has arrived. */
  ended = false;

  constructor(
    readonly id: number,
    readonly scope: Scope,
    readonly occurrence: Occurrence | null,
    /** Iteration index (Map) or branch number (Parallel); 0 for the top level. */
    readonly key: number,
    start: { readonly value: unknown; readonly known: boolean },
  ) {
    this.tail = { kind: 'start', ...start };
  }

  private outer: { readonly key: number | undefined } | undefined;

  /** The key of the outermost Map iteration this lane is in, which the runner reports as `index`. */
  outermostMapKey(): number | undefined {
    // Fixed once the lane exists (its occurrence's lane and its own key do not change).
    this.outer ??= { key: this.occurrence?.lane.outermostMapKey() ?? (this.scope.kind === 'map' ? this.key : undefined) };
    return this.outer.key;
  }
}

/** One run of a Map or Parallel state (from its StateEntered to its StateExited), with a list of lanes per attempt. */
export class Occurrence {
  readonly attempts: Lane[][] = [[]];
  /** Its lanes by key, and by the key of the outermost Map iteration they are in, in the order they came (attempts in order). */
  private readonly byKey = new Map<number, Lane[]>();
  private readonly byOuterKey = new Map<number | undefined, Lane[]>();
  private readonly attemptOf = new Map<Lane, number>();

  constructor(
    readonly state: StateInfo,
    readonly lane: Lane,
    readonly entered: RoutedEvent & { readonly ev: LibraryStateEvent },
  ) {}

  get current(): Lane[] {
    return this.attempts[this.attempts.length - 1] ?? [];
  }

  /** A new lane of the current attempt. */
  add(lane: Lane): void {
    this.current.push(lane);
    this.attemptOf.set(lane, this.attempts.length - 1);
    push(this.byKey, lane.key, lane);
    push(this.byOuterKey, lane.outermostMapKey(), lane);
  }

  /** The current attempt's lanes with this key (as `current.filter(l => l.key === key)`). */
  currentWithKey(key: number): Lane[] {
    const attempt = this.attempts.length - 1;
    return (this.byKey.get(key) ?? []).filter((l) => this.attemptOf.get(l) === attempt);
  }

  /** Every attempt's lanes in the outermost Map iteration `key` (as `attempts.flat().filter(l => l.outermostMapKey() === key)`). */
  withOuterKey(key: number): readonly Lane[] {
    return this.byOuterKey.get(key) ?? [];
  }
}

function push<K>(m: Map<K, Lane[]>, k: K, lane: Lane): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [lane]);
  else list.push(lane);
}

export class LaneRouter {
  readonly root: Lane;
  readonly attempts: TaskAttempt[] = [];
  /** Events of states the definition does not have (should not happen): kept, on the top level. */
  private seq = 0;
  private laneIds = 1;
  private readonly occurrences = new Map<string, Occurrence[]>();

  constructor(private readonly index: DefinitionIndex) {
    this.root = new Lane(0, { kind: 'root' }, null, 0, { value: undefined, known: false });
  }

  route(ev: LibraryEvent): RoutedEvent {
    const routed: RoutedEvent = { ev, seq: this.seq++, realMs: ev.timestamp, uncertain: false };
    if (isStateEvent(ev)) this.routeState(routed, ev);
    else if (isMapIterationEvent(ev)) this.routeIteration(routed, ev);
    else if (ev.type === 'ParallelBranchStarted' || ev.type === 'ParallelBranchSucceeded' || ev.type === 'ParallelBranchFailed') {
      // Step Functions writes no per-branch events; branch lanes are found from their states' events.
    } else this.root.items.push(routed);
    return routed;
  }

  private routeIteration(routed: RoutedEvent, ev: LibraryMapIterationEvent): void {
    const all = this.occurrences.get(ev.parentState.name) ?? [];
    const candidates = all.filter((o) => o.entered.realMs <= ev.timestamp).reverse();
    const byInput = candidates.filter((o) => sameJson(o.entered.ev.state.input, ev.parentState.input));
    const pool = byInput.length > 0 ? byInput : candidates.length > 0 ? candidates : [...all].reverse();
    if (ev.type === 'MapIterationStarted') {
      const occ = pool.find((o) => !o.currentWithKey(ev.index).some((l) => !l.ended)) ?? pool[0];
      if (occ === undefined) return this.orphan(routed);
      const lane = new Lane(this.laneIds++, { kind: 'map', container: ev.parentState.name }, occ, ev.index, { value: iterationValue(ev, 'input'), known: true });
      occ.add(lane);
      routed.uncertain = byInput.length !== 1;
      lane.items.push(routed);
      return;
    }
    const lane = pool.flatMap((o) => o.currentWithKey(ev.index).filter((l) => !l.ended))[0] ?? pool.flatMap((o) => o.currentWithKey(ev.index))[0];
    if (lane === undefined) return this.orphan(routed);
    lane.ended = true;
    lane.items.push(routed);
  }

  private routeState(routed: RoutedEvent, ev: LibraryStateEvent): void {
    const info = this.index.state(ev.state.name);
    if (info === undefined) return this.orphan(routed);
    const lane = info.scope.kind === 'root' ? this.root : this.findLane(routed, ev, info);
    routed.lane = lane;
    lane.items.push(routed);
    this.advance(lane, routed, ev, info);
  }

  private findLane(routed: RoutedEvent, ev: LibraryStateEvent, info: StateInfo): Lane {
    const scope = info.scope;
    if (scope.kind === 'root') return this.root;
    const occurrences = (this.occurrences.get(scope.container) ?? []).filter((o) => o.entered.realMs <= ev.timestamp).reverse();
    const open = (l: Lane): boolean => !l.ended && (scope.kind === 'map' || l.key === scope.branch);
    // Lanes of the iteration the runner names, if any: looked up by key, not searched for among all.
    const index = ev.index;
    const hinted = index === undefined ? [] : occurrences.flatMap((o) => o.withOuterKey(index).filter(open));
    const candidates: Lane[] = hinted.length > 0 ? hinted : occurrences.flatMap((o) => o.attempts.flat().filter(open));
    const strong = candidates.find((l) => this.accepts(l, ev, info, true));
    if (strong !== undefined) return strong;
    if (scope.kind === 'branch' && ev.type === 'StateEntered' && ev.state.name === this.index.startAt(scope)) {
      // A branch's lane starts with its first state; branches carry no event of their own.
      const occ = occurrences.find((o) => ev.index === undefined || o.lane.outermostMapKey() === ev.index || o.lane.scope.kind === 'root') ?? occurrences[0];
      if (occ !== undefined && occ.currentWithKey(scope.branch).length === 0) {
        const lane = new Lane(this.laneIds++, scope, occ, scope.branch, { value: undefined, known: false });
        occ.add(lane);
        return lane;
      }
    }
    routed.uncertain = true;
    const weak = candidates.find((l) => this.accepts(l, ev, info, false)) ?? candidates[0];
    if (weak !== undefined) return weak;
    const occ = occurrences[0];
    if (occ === undefined) return this.root;
    const lane = new Lane(this.laneIds++, scope, occ, scope.kind === 'branch' ? scope.branch : (ev.index ?? -1), { value: undefined, known: false });
    occ.add(lane);
    return lane;
  }

  /** Whether the event continues this lane: by state order, and (strict) by the data passed along. */
  private accepts(lane: Lane, ev: LibraryStateEvent, info: StateInfo, strict: boolean): boolean {
    const input = ev.state.input;
    if (ev.type !== 'StateEntered') return lane.open?.state === ev.state.name && (!strict || lane.open.input === input || sameJson(lane.open.input, input));
    if (lane.open !== null) return false;
    const tail = lane.tail;
    if (tail.kind === 'start') return info.name === this.index.startAt(info.scope) && (!strict || !tail.known || sameJson(tail.value, input));
    return (this.index.state(tail.state)?.next ?? []).includes(info.name) && (!strict || tail.value === input || sameJson(tail.value, input));
  }

  private advance(lane: Lane, routed: RoutedEvent, ev: LibraryStateEvent, info: StateInfo): void {
    switch (ev.type) {
      case 'StateEntered': {
        const attempt = info.type === 'Task' ? this.startAttempt(routed, ev) : null;
        lane.open = { state: info.name, input: ev.state.input, attempt };
        if (info.type === 'Map' || info.type === 'Parallel') {
          const occ = new Occurrence(info, lane, routed as RoutedEvent & { ev: LibraryStateEvent });
          routed.occurrence = occ;
          const list = this.occurrences.get(info.name) ?? [];
          list.push(occ);
          this.occurrences.set(info.name, list);
        }
        return;
      }
      case 'StateRetried': {
        if (lane.open === null) return;
        if (info.type === 'Task') lane.open.attempt = this.startAttempt(routed, ev);
        if (info.type === 'Map' || info.type === 'Parallel') this.openOccurrence(lane, info.name)?.attempts.push([]);
        return;
      }
      case 'StateFailed': {
        const attempt = lane.open?.attempt;
        if (attempt != null && attempt.end === null) {
          attempt.end = { ok: false, ms: ev.timestamp, error: ev.Error };
          routed.attempt = attempt;
        }
        return;
      }
      case 'StateCaught':
        return;
      case 'StateExited': {
        const attempt = lane.open?.attempt;
        if (attempt != null && attempt.end === null) {
          attempt.end = { ok: true, ms: ev.timestamp };
          routed.attempt = attempt;
        }
        lane.open = null;
        lane.tail = { kind: 'exited', state: info.name, value: ev.state.output };
        return;
      }
    }
  }

  /** The occurrence of a container state currently open in a lane. */
  openOccurrence(lane: Lane, state: string): Occurrence | undefined {
    return [...(this.occurrences.get(state) ?? [])].reverse().find((o) => o.lane === lane);
  }

  private startAttempt(routed: RoutedEvent, ev: LibraryStateEvent): TaskAttempt {
    const attempt: TaskAttempt = { state: ev.state.name, startSeq: routed.seq, startMs: ev.timestamp, input: ev.state.input, end: null, call: null };
    this.attempts.push(attempt);
    routed.attempt = attempt;
    return attempt;
  }

  private orphan(routed: RoutedEvent): void {
    routed.uncertain = true;
    this.root.items.push(routed);
  }
}
