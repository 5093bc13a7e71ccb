import { describe, expect, it } from 'vitest';
import { diagnosticText, jsonValueProblem, nameTextProblem, valueTextProblem } from './strings.ts';

describe('Pipeline > Strings', () => {
  it('should pass well-formed text, surrogate pairs included', () => {
    for (const s of ['', 'plain', 'tab\tand\nnewline', 'emoji 😀', '\u00e9\u4e2d']) {
      expect(valueTextProblem(s)).toBeNull();
    }
    expect(nameTextProblem('sensor-😀')).toBeNull();
  });

  it('should name NUL and lone surrogates in values, and control characters in names', () => {
    expect(valueTextProblem('a\u0000')).toBe('contains NUL (\\u0000) at character 1');
    expect(valueTextProblem('\ud83d')).toMatch(/lone UTF-16 surrogate \(\\ud83d\) at character 0/);
    expect(valueTextProblem('a\ude00b')).toMatch(/\\ude00\) at character 1/);
    expect(valueTextProblem('bell\u0007')).toBeNull();
    expect(nameTextProblem('bell\u0007')).toMatch(/control character \\u0007 at character 4/);
    expect(nameTextProblem('del\u007f')).toMatch(/\\u007f/);
  });

  it('should find a bad string anywhere in a JSON value, and refuse nesting past the limit without recursion', () => {
    expect(jsonValueProblem({ a: [1, { b: 'ok' }] }, 8)).toBeNull();
    expect(jsonValueProblem({ a: [1, { b: 'x\u0000' }] }, 8)).toMatch(/^a string contains NUL/);
    expect(jsonValueProblem({ a: [1, { b: 'x\u0000' }] }, 8, { allowNul: true })).toBeNull();
    expect(jsonValueProblem({ ['k\ud800']: 1 }, 8)).toMatch(/^a key contains a lone/);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonValueProblem(deep, 64)).toBe('nested deeper than 64 levels');
    let ok: unknown = 1;
    for (let i = 0; i < 64; i++) ok = { a: ok };
    expect(jsonValueProblem(ok, 64)).toBeNull();
  });

  it('should make any text storable for diagnostics, keeping what was fine', () => {
    expect(diagnosticText('fine 😀')).toBe('fine 😀');
    expect(diagnosticText('a\u0000b\ud800c\udc00')).toBe('a\ufffdb\ufffdc\ufffd');
    expect(diagnosticText('\ud83d\ude00\ud83d')).toBe('😀\ufffd');
  });
});
