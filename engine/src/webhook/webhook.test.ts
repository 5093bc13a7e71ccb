import { describe, expect, it } from 'vitest';
import { renderTemplate, resolveHeaders, TemplateError } from './env-template.ts';
import { evaluate, parseKriti, sourcePosition, type KritiError } from './kriti.ts';
import { applyRequestTransform, normalizeRequestTransform } from './transform.ts';

describe('Webhook > env templates', () => {
  it('should fill {{VAR}} from the environment and name every missing variable', () => {
    expect(renderTemplate('{{BASE}}/hooks/{{PATH}}', { BASE: 'http://w:1', PATH: 'x' })).toBe(
      'http://w:1/hooks/x',
    );
    expect(() => renderTemplate('{{A}}/{{B}}', {})).toThrow(
      'Value for environment variables not found: A, B',
    );
    expect(renderTemplate('no {{ template', {})).toBe('no {{ template');
  });

  it('should never log the value of a header from the environment', () => {
    const h = resolveHeaders(
      [
        { name: 'X-Secret', value_from_env: 'S' },
        { name: 'Authorization', value: 'Bearer t' },
        { name: 'X-Plain', value: 'p' },
      ],
      { S: 'hidden' },
    );
    expect(h.map((x) => [x.value, x.logged])).toEqual([
      ['hidden', '<from_env: S>'],
      ['Bearer t', '<REDACTED>'],
      ['p', 'p'],
    ]);
    expect(() => resolveHeaders([{ name: 'x', value_from_env: 'NOPE' }], {})).toThrow(
      TemplateError,
    );
  });
});

describe('Webhook > Kriti', () => {
  const body = { event: { data: { new: { id: 1, tags: ['a', 'b'], name: 'Ada' } } }, n: null };
  const run = (t: string) => evaluate(parseKriti(t), { $body: body, $base_url: 'http://h' });

  it('should evaluate paths, literals, interpolation and operators', () => {
    expect(run('{{ $body.event.data.new }}')).toEqual(body.event.data.new);
    expect(
      run('{"id": {{$body.event.data.new.id}}, "who": "hi {{ $body.event.data.new.name }}"}'),
    ).toEqual({
      id: 1,
      who: 'hi Ada',
    });
    expect(run("{{ $body['event'].data.new.tags[1] }}")).toBe('b');
    expect(run('{{ $body?.missing?.x ?? "dflt" }}')).toBe('dflt');
    expect(run('{{ $body.event.data.new.id == 1 && "a" in $body.event.data.new.tags }}')).toBe(
      true,
    );
  });

  it('should evaluate if/elif/else, range and functions', () => {
    expect(
      run(
        '{{ if $body.event.data.new.id > 5 }} "big" {{ elif $body.event.data.new.id > 0 }} "small" {{ else }} "none" {{ end }}',
      ),
    ).toBe('small');
    expect(
      run(
        '[{{ range i, t := $body.event.data.new.tags }} {"i": {{i}}, "t": {{ toUpper(t) }}} {{ end }}]',
      ),
    ).toEqual([
      { i: 0, t: 'A' },
      { i: 1, t: 'B' },
    ]);
    expect(run('{{ length($body.event.data.new.tags) }}')).toBe(2);
    expect(run('{{ escapeUri("a b/c") }}')).toBe('a%20b%2Fc');
    expect(() => run('{{ $nope }}')).toThrow("Variable '$nope' not in scope");
    expect(() => parseKriti('{{ $body. }}')).toThrow("Unexpected token '}'.");
  });

  it("should name Kriti's error code and place it as Hasura does (lines from 0, columns from 1)", () => {
    const failure = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        const k = e as KritiError;
        return { code: k.code, message: k.message, at: sourcePosition(k.source!, k.span!) };
      }
      throw new Error('no error');
    };
    expect(failure(() => run('{{ $body.world }}'))).toEqual({
      code: 'Attribute Error',
      message: "'Object' has no attribute 'world'.",
      at: { start_line: 0, start_column: 4, end_line: 0, end_column: 15 },
    });
    expect(failure(() => parseKriti('$body.hello }}'))).toEqual({
      code: 'Parse Error',
      message: "Unexpected token '}'.",
      at: { start_line: 0, start_column: 14, end_line: 0, end_column: 15 },
    });
    expect(
      failure(() =>
        evaluate(parseKriti('{{ getSessionVariable("x-hasura-nope") }}'), {
          $session_variables: { 'x-hasura-role': 'user' },
        }),
      ),
    ).toEqual({
      code: 'Function Error',
      message: 'Session variable "x-hasura-nope" not found',
      at: { start_line: 0, start_column: 23, end_line: 0, end_column: 38 },
    });
  });
});

describe('Webhook > request transform', () => {
  it("should rewrite body, query parameters and headers as Hasura's event trigger case does", () => {
    const rt = normalizeRequestTransform({
      version: 2,
      template_engine: 'Kriti',
      body: { action: 'transform', template: '{{ $body.event.data.new }}' },
      query_params: { foo: 'bar' },
      request_headers: { remove_headers: ['user-agent'], add_headers: { foo: 'bar' } },
    });
    const out = applyRequestTransform(
      rt,
      {
        method: 'POST',
        url: 'http://hook:9',
        headers: [
          { name: 'Content-Type', value: 'application/json' },
          { name: 'User-Agent', value: 'hasura-graphql-engine/v2.48.10' },
        ],
        body: { event: { data: { new: { id: 0 } } } },
      },
      null,
    );
    // the URL stays as written; only its query changes
    expect(out.url).toBe('http://hook:9?foo=bar');
    expect(out.body).toEqual({ id: 0 });
    expect(out.headers).toEqual([
      { name: 'Content-Type', value: 'application/json' },
      { name: 'foo', value: 'bar' },
    ]);
  });

  it('should refuse a template that does not parse when the metadata is accepted', () => {
    expect(() =>
      normalizeRequestTransform({
        version: 2,
        body: { action: 'transform', template: '{{ $body.' },
      }),
    ).toThrow(/body.template/);
    expect(() => normalizeRequestTransform({ version: 3 })).toThrow('version must be 1 or 2');
  });
});
