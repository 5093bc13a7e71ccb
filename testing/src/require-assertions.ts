/**
 * vitest setup file of every project: a test that passes without calling `expect` fails. A test
 * states what it checks; one that loops over an empty list or returns early has checked nothing
 * (docs/conventions.md, "Every test asserts behaviour that could fail").
 */
import { afterEach, expect } from 'vitest';

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') return;
  if (expect.getState().assertionCalls === 0)
    throw new Error(`"${ctx.task.name}" asserted nothing: a test must call expect`);
});
