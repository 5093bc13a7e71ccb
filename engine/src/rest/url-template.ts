/**
 * REST endpoint URL templates (`stream/:id/latest`): parsed once, checked as Hasura checks them
 * when an endpoint is created, matched against request paths, and compared with each other for
 * Hasura's "Ambiguous URL paths" refusal.
 */

export type Segment = { literal: string } | { variable: string };

/** Hasura's refusal of a template, or its segments. */
export function parseTemplate(url: string): Segment[] | { problem: string } {
  const parts = url.split('/');
  if (parts.some((p) => p === '' || p === ':'))
    return { problem: `Empty segments or unnamed variables are not allowed: ${url}` };
  const segments = parts.map((p): Segment =>
    p.startsWith(':') ? { variable: p.slice(1) } : { literal: p },
  );
  const names = segments.flatMap((s) => ('variable' in s ? [s.variable] : []));
  if (new Set(names).size !== names.length)
    return { problem: `Duplicate variables found in endpoint path: ${url}` };
  return segments;
}

/** The template's variables bound from `path` (its decoded segments), or null if it does not match. */
export function matchTemplate(
  segments: readonly Segment[],
  path: readonly string[],
): Record<string, string> | null {
  if (segments.length !== path.length) return null;
  const vars: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if ('variable' in s) vars[s.variable] = path[i]!;
    else if (s.literal !== path[i]) return null;
  }
  return vars;
}

/** Whether some request path matches both templates. */
export function templatesOverlap(a: readonly Segment[], b: readonly Segment[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((s, i) => {
    const t = b[i]!;
    return 'variable' in s || 'variable' in t || s.literal === t.literal;
  });
}
