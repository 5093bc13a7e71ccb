import { describe, expect, it } from 'vitest';
import { checkKeyOrder, compareResponse, type ActualResponse } from './compare.ts';
import { loadYaml } from './yaml-load.ts';

const ok = (body: unknown, status = 200, headers: Record<string, string> = {}): ActualResponse => ({
  status,
  headers,
  body,
});

const gqlError = (message: string, code = 'validation-failed', path = '$') => ({
  errors: [{ message, extensions: { path, code } }],
});

describe('Conformance > comparison', () => {
  it('should compare objects without key order, arrays in order, numbers by value', () => {
    const exp = {
      data: {
        a: [
          { x: 1, y: 'b' },
          { x: 2.0, y: 'c' },
        ],
      },
    };
    expect(
      compareResponse(
        { status: 200, response: exp },
        ok({
          data: {
            a: [
              { y: 'b', x: 1.0 },
              { x: 2, y: 'c' },
            ],
          },
        }),
      ).strict,
    ).toBe(true);
    const swapped = compareResponse(
      { status: 200, response: exp },
      ok({
        data: {
          a: [
            { x: 2, y: 'c' },
            { x: 1, y: 'b' },
          ],
        },
      }),
    );
    expect(swapped.strict).toBe(false);
    expect(swapped.reason).toBe('$.data.a[0].x: expected 1, got 2');
  });

  it('should not equate a string with a number', () => {
    const v = compareResponse(
      { status: 200, response: { data: { n: '1' } } },
      ok({ data: { n: 1 } }),
    );
    expect(v.strict).toBe(false);
    expect(v.reason).toBe('$.data.n: expected "1", got 1');
  });

  it('should require the same key set', () => {
    const missing = compareResponse(
      { status: 200, response: { data: { a: 1, b: null } } },
      ok({ data: { a: 1 } }),
    );
    expect(missing.reason).toBe('$.data.b: missing (expected null)');
    const extra = compareResponse(
      { status: 200, response: { data: { a: 1 } } },
      ok({ data: { a: 1, c: 2 } }),
    );
    expect(extra.reason).toBe('$.data.c: unexpected key (value 2)');
  });

  it('should check the status first', () => {
    const v = compareResponse({ status: 400, response: { error: 'x' } }, ok({ data: {} }, 200));
    expect(v).toMatchObject({ strict: false, upstream: false });
    expect(v.reason).toMatch(/^status: expected 400, got 200/);
  });

  it('should check only the status when there is no response', () => {
    expect(compareResponse({ status: 200 }, ok({ anything: true })).strict).toBe(true);
    expect(compareResponse({ status: 200 }, ok({ anything: true }, 500)).strict).toBe(false);
  });

  it('should score an error-versus-error mismatch as upstream-compatible only', () => {
    const v = compareResponse(
      { status: 200, response: gqlError('field "x" not found') },
      ok(gqlError('other wording')),
    );
    expect(v).toMatchObject({ strict: false, upstream: true });
    expect(v.reason).toBe(
      '$.errors[0].message: expected "field \\"x\\" not found", got "other wording"',
    );
    const rest = compareResponse(
      { status: 400, response: { error: 'a', code: 'b', path: '$' } },
      ok({ error: 'c', code: 'd', path: '$' }, 400),
    );
    expect(rest).toMatchObject({ strict: false, upstream: true });
  });

  it('should fail both ways when data was expected and an error came (or the reverse)', () => {
    const v = compareResponse(
      { status: 200, response: { data: { a: 1 } } },
      ok(gqlError('boom', 'unexpected')),
    );
    expect(v).toMatchObject({ strict: false, upstream: false });
    expect(v.reason).toBe('expected data, got error: "boom" [unexpected at $]');
    const r = compareResponse({ status: 200, response: gqlError('boom') }, ok({ data: { a: 1 } }));
    expect(r).toMatchObject({ strict: false, upstream: false });
    expect(r.reason).toBe('expected an error ("boom" [validation-failed at $]), got data');
  });

  it('should apply the error leniency element by element in a batch', () => {
    const exp = [{ data: { a: 1 } }, gqlError('x')];
    expect(
      compareResponse({ status: 200, response: exp }, ok([{ data: { a: 1 } }, gqlError('y')])),
    ).toMatchObject({ strict: false, upstream: true });
    expect(
      compareResponse({ status: 200, response: exp }, ok([{ data: { a: 2 } }, gqlError('y')])),
    ).toMatchObject({ strict: false, upstream: false });
  });

  it('should compare legacy errors without their wording when asked', () => {
    const exp = gqlError('old wording', 'validation-failed', '$.selectionSet.x');
    const soft = compareResponse(
      { status: 200, response: exp },
      ok(gqlError('new wording', 'validation-failed', '$.selectionSet.x')),
      {
        softErrorMessages: true,
      },
    );
    expect(soft.strict).toBe(true);
    const wrongCode = compareResponse(
      { status: 200, response: exp },
      ok(gqlError('new wording', 'parse-failed', '$.selectionSet.x')),
      {
        softErrorMessages: true,
      },
    );
    expect(wrongCode.strict).toBe(false);
    // data values named "message" are still compared
    const data = compareResponse(
      { status: 200, response: { data: { message: 'a' } } },
      ok({ data: { message: 'b' } }),
      { softErrorMessages: true },
    );
    expect(data.strict).toBe(false);
  });

  it('should pass when any allowed response matches, with its headers', () => {
    const exp = {
      status: 200,
      allowedResponses: [
        { response: gqlError('pg 12 wording') },
        { response: gqlError('pg 13 wording'), respHeaders: { 'X-Thing': 'yes' } },
      ],
    };
    expect(
      compareResponse(exp, ok(gqlError('pg 13 wording'), 200, { 'x-thing': 'yes' })).strict,
    ).toBe(true);
    expect(compareResponse(exp, ok(gqlError('pg 13 wording'), 200, {})).strict).toBe(false);
    expect(compareResponse(exp, ok(gqlError('pg 12 wording'))).strict).toBe(true);
    expect(compareResponse(exp, ok(gqlError('pg 14 wording')))).toMatchObject({
      strict: false,
      upstream: true,
    });
  });

  it('should require expected headers to be a subset of the actual ones', () => {
    const exp = {
      status: 200,
      response: { data: {} },
      respHeaders: { 'Content-Type': 'application/json' },
    };
    expect(
      compareResponse(
        exp,
        ok({ data: {} }, 200, { 'content-type': 'application/json', other: 'x' }),
      ).strict,
    ).toBe(true);
    const v = compareResponse(exp, ok({ data: {} }, 200, { 'content-type': 'text/plain' }));
    expect(v.strict).toBe(false);
    expect(v.reason).toBe('header Content-Type: expected "application/json", got "text/plain"');
  });

  it('should compare big integers from YAML with the numbers of a response', () => {
    const exp = loadYaml('data:\n  n: 9007199254740993\n');
    expect(
      // JSON.parse of the response rounds the number the way Number() rounds the YAML bigint
      compareResponse(
        { status: 200, response: exp },
        ok(JSON.parse('{"data":{"n":9007199254740993}}')),
      ).strict,
    ).toBe(true);
  });
});

describe('Conformance > key order', () => {
  const request = {
    query: 'query { author(order_by: {id: asc}) { id name articles { title id } } }',
  };

  it('should accept keys in selection order', () => {
    const body = { data: { author: [{ id: 1, name: 'a', articles: [{ title: 't', id: 2 }] }] } };
    expect(checkKeyOrder(body, request)).toEqual({ order: 'ok' });
  });

  it('should report keys out of selection order, with where', () => {
    const body = { data: { author: [{ id: 1, name: 'a', articles: [{ id: 2, title: 't' }] }] } };
    const v = checkKeyOrder(body, request);
    expect(v.order).toBe('mismatch');
    expect(v.detail).toBe(
      '$.data.author[0].articles[0]: "title" comes after "id", but is selected before it',
    );
  });

  it('should follow aliases and fragments, and ignore leaf values', () => {
    const req = {
      query: `query Q { b: author { ...F info { x } } a: article { id } }
              fragment F on author { name ... on author { id } payload }`,
    };
    const good = {
      data: { b: { name: 'n', id: 1, payload: { z: 1, a: 2 }, info: { x: 1 } }, a: { id: 1 } },
    };
    expect(checkKeyOrder(good, req).order).toBe('ok');
    const bad = { data: { a: { id: 1 }, b: { name: 'n', id: 1, payload: {}, info: { x: 1 } } } };
    expect(checkKeyOrder(bad, req).order).toBe('mismatch');
  });

  it('should not judge bodies without data or without a GraphQL query', () => {
    expect(checkKeyOrder({ errors: [] }, request).order).toBe('not-checked');
    expect(checkKeyOrder({ result: 1 }, { type: 'run_sql', args: {} }).order).toBe('not-checked');
    expect(checkKeyOrder({ data: {} }, { query: 'not graphql {' }).order).toBe('not-checked');
  });

  it('should check each element of a batch against its own query', () => {
    const reqs = [{ query: '{ a { x y } }' }, { query: '{ b { y x } }' }];
    expect(
      checkKeyOrder([{ data: { a: { x: 1, y: 2 } } }, { data: { b: { y: 1, x: 2 } } }], reqs).order,
    ).toBe('ok');
    expect(
      checkKeyOrder([{ data: { a: { x: 1, y: 2 } } }, { data: { b: { x: 1, y: 2 } } }], reqs).order,
    ).toBe('mismatch');
  });

  it('should be reported separately from the verdict', () => {
    const body = { data: { author: [{ name: 'a', id: 1, articles: [] }] } };
    const v = compareResponse({ status: 200, response: body }, ok(body), { request });
    expect(v).toMatchObject({ strict: true, keyOrder: 'mismatch' });
  });
});
