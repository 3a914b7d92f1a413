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

const SHARE_BUDGET = 5000;

/**
 * Whether two values hold a common object (by reference). The runner builds a task's parameters
 * from its state input with JSONPath, which returns references into that input, so a handler's
 * input shares objects with the state input it came from, and with no other lane's.
 */
export function sharesObject(a: unknown, b: unknown): boolean {
  const seen = new Set<object>();
  collect(b, seen, { left: SHARE_BUDGET });
  return find(a, seen, { left: SHARE_BUDGET });
}

function collect(v: unknown, into: Set<object>, budget: { left: number }): void {
  if (typeof v !== 'object' || v === null || budget.left-- <= 0) return;
  into.add(v);
  for (const child of Array.isArray(v) ? v : Object.values(v)) collect(child, into, budget);
}

function find(v: unknown, among: Set<object>, budget: { left: number }): boolean {
  if (typeof v !== 'object' || v === null || budget.left-- <= 0) return false;
  if (among.has(v)) return true;
  for (const child of Array.isArray(v) ? v : Object.values(v)) if (find(child, among, budget)) return true;
  return false;
}
