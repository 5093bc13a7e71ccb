/**
 * The size of a request's variable values, measured before any of them is read by the planner:
 * nesting (objects and lists), the longest list (`_in: $ids`) and the number of values. One walk
 * with an explicit stack, so a value nested a million levels deep (JSON.parse accepts it) is
 * measured, and refused, without recursion.
 */

export interface InputSize {
  depth: number;
  longestList: number;
  values: number;
}

/** Measure `value`; stops early once any measure passes its cap (the answer is "too big" then). */
export function measureInput(
  value: unknown,
  caps: { maxDepth: number; maxListLength: number; maxValues: number },
): InputSize {
  const out: InputSize = { depth: 0, longestList: 0, values: 0 };
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    out.values++;
    if (out.values > caps.maxValues) return out;
    if (v === null || typeof v !== 'object') continue;
    const d = depth + 1;
    if (d > out.depth) {
      out.depth = d;
      if (d > caps.maxDepth) return out;
    }
    if (Array.isArray(v)) {
      if (v.length > out.longestList) {
        out.longestList = v.length;
        if (v.length > caps.maxListLength) return out;
      }
      for (const x of v) stack.push([x, d]);
    } else for (const k in v) stack.push([(v as Record<string, unknown>)[k], d]);
  }
  return out;
}
