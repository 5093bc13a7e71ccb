/**
 * Hasura's environment templates for webhooks (Data.URL.Template): `{{VAR}}` anywhere in a URL or
 * header value is replaced by the variable from the engine's environment at the time of the call,
 * so the metadata keeps the template (exported and shown unresolved) and a deployment changes the
 * target without touching the metadata. Header values may also name a variable whole
 * (`value_from_env`). Every variable missing is reported at once, in Hasura's words.
 */

export type Env = Readonly<Record<string, string | undefined>>;

type Item = { text: string } | { variable: string };

/** `{{NAME}}` is a variable (the name taken as written); an unclosed `{{` stays text. */
export function parseTemplate(template: string): Item[] {
  const items: Item[] = [];
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{{');
    const close = open < 0 ? -1 : rest.indexOf('}}', open + 2);
    if (open < 0 || close < 0) {
      if (rest) items.push({ text: rest });
      return items;
    }
    if (open > 0) items.push({ text: rest.slice(0, open) });
    items.push({ variable: rest.slice(open + 2, close) });
    rest = rest.slice(close + 2);
  }
}

export class TemplateError extends Error {
  constructor(
    readonly missing: string[],
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Fill a template, or throw with every variable that is not set. */
export function renderTemplate(template: string, env: Env): string {
  const missing: string[] = [];
  let out = '';
  for (const item of parseTemplate(template)) {
    if ('text' in item) {
      out += item.text;
      continue;
    }
    const v = env[item.variable];
    if (v === undefined) missing.push(item.variable);
    else out += v;
  }
  if (missing.length)
    throw new TemplateError(
      missing,
      `Value for environment variables not found: ${missing.join(', ')}`,
    );
  return out;
}

/** Hasura's `environment variable 'X' not set`, for `*_from_env` settings. */
export function envValue(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined) throw new TemplateError([name], `environment variable '${name}' not set`);
  return v;
}

/** A header as metadata declares it: a (templated) value, or a variable's value. */
export type HeaderConf = { name: string; value: string } | { name: string; value_from_env: string };

export interface ResolvedHeader {
  name: string;
  value: string;
  /** For logs and invocation records: never the value of a variable. */
  logged: string;
}

/** Header names whose values never reach a log or an invocation record. */
const SENSITIVE = new Set(['authorization', 'cookie', 'set-cookie', 'x-hasura-admin-secret']);

export function resolveHeaders(confs: readonly HeaderConf[], env: Env): ResolvedHeader[] {
  const missing: string[] = [];
  const out: ResolvedHeader[] = [];
  for (const h of confs) {
    try {
      if ('value_from_env' in h) {
        out.push({
          name: h.name,
          value: envValue(env, h.value_from_env),
          logged: `<from_env: ${h.value_from_env}>`,
        });
      } else {
        const value = renderTemplate(h.value, env);
        const templated = parseTemplate(h.value).some((i) => 'variable' in i);
        const logged = SENSITIVE.has(h.name.toLowerCase())
          ? '<REDACTED>'
          : templated
            ? h.value
            : value;
        out.push({ name: h.name, value, logged });
      }
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      missing.push(...e.missing);
    }
  }
  if (missing.length)
    throw new TemplateError(missing, `template cannot be resolved: ${missing.join(', ')}`);
  return out;
}

/** Parse a header list from metadata, with Hasura's parse errors. */
export function parseHeaderConfs(raw: unknown): HeaderConf[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error('expected an array of headers');
  return raw.map((h) => {
    if (!h || typeof h !== 'object' || Array.isArray(h))
      throw new Error('expecting object for headers');
    const o = h as Record<string, unknown>;
    if (typeof o.name !== 'string') throw new Error('key "name" not found');
    const hasValue = o.value !== undefined && o.value !== null;
    const hasEnv = o.value_from_env !== undefined && o.value_from_env !== null;
    if (!hasValue && !hasEnv) throw new Error('expecting value or value_from_env keys');
    if (hasValue && hasEnv) throw new Error('expecting only one of value or value_from_env keys');
    if (hasEnv) {
      if (typeof o.value_from_env !== 'string')
        throw new Error('expected a string for value_from_env');
      if (o.value_from_env.startsWith('HASURA_GRAPHQL_'))
        throw new Error(
          `env variables starting with "HASURA_GRAPHQL_" are not allowed in value_from_env: ${o.value_from_env}`,
        );
      return { name: o.name, value_from_env: o.value_from_env };
    }
    if (typeof o.value !== 'string') throw new Error('expected a string for value');
    return { name: o.name, value: o.value };
  });
}
