/**
 * What a string must be to reach Postgres unchanged. Checked up front, per message, so the cheap
 * path rejects what the database would refuse or silently alter:
 *
 * - NUL: text and jsonb cannot hold it (`invalid byte sequence for encoding "UTF8": 0x00`), and
 *   one such value fails the whole set-based statement of a chunk.
 * - lone UTF-16 surrogates: they have no UTF-8 form. node-postgres encodes one as U+FFFD, so the
 *   stored text differs from the sent one (an entity key then never matches itself); json(b)
 *   rejects the `\ud800` escape outright.
 * - control characters: harmless to store in a value, but an identifier (an entity key or name)
 *   holding one is invisible or misleading wherever it is shown, so keys and names refuse them.
 */

// one pass over the UTF-16 units: a high surrogate must be followed by a low one, a low one
// preceded by a high one
function loneSurrogateAt(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;

/** Why a string value cannot be stored as it is (NUL, lone surrogate), or null when it can. */
export function valueTextProblem(s: string): string | null {
  const nul = s.indexOf('\0');
  if (nul !== -1) return `contains NUL (\\u0000) at character ${nul}`;
  return surrogateProblem(s);
}

function surrogateProblem(s: string): string | null {
  const at = loneSurrogateAt(s);
  if (at !== -1) {
    return `contains a lone UTF-16 surrogate (${hex(s.charCodeAt(at))}) at character ${at}`;
  }
  return null;
}

// C0 controls, DEL and C1 controls
const isControl = (c: number) => c < 0x20 || (c >= 0x7f && c <= 0x9f);

/** Why a string cannot name something (an entity key or name), or null when it can. */
export function nameTextProblem(s: string): string | null {
  const problem = valueTextProblem(s);
  if (problem) return problem;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isControl(c)) return `contains the control character ${hex(c)} at character ${i}`;
  }
  return null;
}

/**
 * Why a JSON value cannot go into a json(b) column: a string anywhere in it (keys included) that
 * jsonb refuses, or nesting deeper than `maxDepth`. Walks with an explicit stack: a hostile
 * document must not overflow ours either.
 */
export function jsonValueProblem(
  value: unknown,
  maxDepth: number,
  opts: { allowNul: boolean } = { allowNul: false },
): string | null {
  const problemOf = (s: string) => (opts.allowNul ? surrogateProblem(s) : valueTextProblem(s));
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const p = problemOf(v);
      if (p) return `a string ${p}`;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels`;
    if (Array.isArray(v)) {
      for (const x of v) stack.push({ v: x, depth: depth + 1 });
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const p = problemOf(k);
      if (p) return `a key ${p}`;
      stack.push({ v: x, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Text made safe for a diagnostic column (a reason, a header copied into etl.dead_letters): NUL
 * and lone surrogates replaced by U+FFFD, so recording a dead letter can never fail on the bytes
 * that made it one.
 */
export function diagnosticText(s: string): string {
  if (s.indexOf('\0') === -1 && loneSurrogateAt(s) === -1) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) out += '\ufffd';
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += s[i]!;
  }
  return out;
}
