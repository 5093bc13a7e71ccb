/**
 * The console in a real browser: the login form, then GraphiQL rendered from the engine's own
 * bundle, running a query with the typed admin secret.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { launchChromium } from '@streamsync/stack/chromium';
import type { RunningEngine } from '../src/server.ts';
import { startTestEngine } from './helpers.ts';

const SECRET = 'console-browser-secret-51c2';

let db: TestDatabase;
let engine: RunningEngine;
let browser: Browser;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'console_browser', empty: true });
  engine = await startTestEngine(db.url, {
    HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
    HASURA_GRAPHQL_ENABLE_CONSOLE: 'true',
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await engine?.close();
  await db?.drop();
});

describe('Engine > Console in Chromium', () => {
  it('should ask for the admin secret, refuse a wrong one, then open GraphiQL and run a query', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${engine.url}/console`);
    await page.locator('#secret').fill('not-the-secret');
    await page.locator('#login button[type=submit]').click();
    await expect.poll(() => page.locator('#error').textContent()).toContain('not accepted');

    await page.locator('#secret').fill(SECRET);
    await page.locator('#login button[type=submit]').click();
    await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
    // the secret stays in this tab's session storage, never in the page
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    expect(await page.content()).not.toContain(SECRET);

    // GraphiQL sends the query with the admin header; the result pane shows the engine's answer
    const answer = page.waitForResponse(
      (r) => r.url().endsWith('/v1/graphql') && r.request().method() === 'POST',
    );
    await page.evaluate(() => {
      const editor = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as {
        CodeMirror: { setValue(v: string): void };
      };
      editor.CodeMirror.setValue('{ __schema { queryType { name } } }');
    });
    await page.locator('.graphiql-execute-button').click();
    const res = await answer;
    expect(res.request().headers()['x-hasura-admin-secret']).toBe(SECRET);
    expect(await res.json()).toEqual({ data: { __schema: { queryType: { name: 'query_root' } } } });
    await expect
      .poll(() => page.locator('.graphiql-response').textContent())
      .toContain('query_root');
    expect(errors).toEqual([]);
    await page.close();
  });
});
