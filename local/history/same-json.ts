/** Structural equality of JSON values (the runner clones state data between some steps, so identity alone is not enough). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  const ao = a as Record<string, unknown>;
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && sameJson(ao[k], bo[k]));
}

const BUDGET = 5000;
/** Strings this long rarely repeat by chance across lanes (query text, ids, addresses). */
const TELLING_STRING = 8;

/**
 * How much a task call's input has in common with a state input: objects held by both (the runner
 * builds parameters with JSONPath, which returns references into the state input, so a handler's
 * input shares objects with the state input it came from and with no other lane's) and long
 * strings found in both (a path to a string copies the text). Bounded work on large inputs.
 */
export function affinity(callInput: unknown, stateInput: unknown): number {
  const objects = new Set<object>();
  const strings = new Set<string>();
  collect(stateInput, objects, strings, { left: BUDGET });
  return count(callInput, objects, strings, { left: BUDGET });
}

/** Whether two values hold a common object (by reference). */
export function sharesObject(a: unknown, b: unknown): boolean {
  const objects = new Set<object>();
  collect(b, objects, new Set(), { left: BUDGET });
  return count(a, objects, null, { left: BUDGET }) > 0;
}

function collect(v: unknown, objects: Set<object>, strings: Set<string>, budget: { left: number }): void {
  if (budget.left-- <= 0) return;
  if (typeof v === 'string') {
    if (v.length >= TELLING_STRING) strings.add(v);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  objects.add(v);
  for (const child of Array.isArray(v) ? v : Object.values(v)) collect(child, objects, strings, budget);
}

function count(v: unknown, objects: ReadonlySet<object>, strings: ReadonlySet<string> | null, budget: { left: number }): number {
  if (budget.left-- <= 0) return 0;
  if (typeof v === 'string') return strings?.has(v) ? 1 : 0;
  if (typeof v !== 'object' || v === null) return 0;
  if (objects.has(v)) return 1;
  let n = 0;
  for (const child of Array.isArray(v) ? v : Object.values(v)) n += count(child, objects, strings, budget);
  return n;
}
