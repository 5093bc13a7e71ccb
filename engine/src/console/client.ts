/// <reference lib="dom" />
/**
 * The console's browser side, bundled by esbuild when the console is first served (see
 * console.ts): GraphiQL with its documentation explorer, history and headers editor, queries over
 * HTTP and subscriptions over the engine's WebSocket. It holds no secret: the admin types it, it is
 * checked against /v1alpha1/config and kept in sessionStorage for this tab only.
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

const KEY = 'streamsync-console-admin-secret';
const byId = (id: string) => document.getElementById(id)!;
const adminHeaders = (secret: string | null): Record<string, string> =>
  secret ? { 'x-hasura-admin-secret': secret } : {};

async function accepted(secret: string | null): Promise<boolean> {
  const res = await fetch('/v1alpha1/config', { headers: adminHeaders(secret) });
  return res.ok;
}

function open(secret: string | null): void {
  byId('login').style.display = 'none';
  const logout = byId('logout');
  if (secret) logout.style.display = 'block';
  logout.onclick = () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  };
  const wsUrl = `${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}/v1/graphql`;
  const fetcher = createGraphiQLFetcher({
    url: `${location.origin}/v1/graphql`,
    headers: adminHeaders(secret),
    wsClient: createClient({ url: wsUrl, connectionParams: { headers: adminHeaders(secret) } }),
  });
  createRoot(byId('graphiql')).render(
    createElement(GraphiQL, {
      fetcher,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultHeaders: '{\n  "x-hasura-role": "admin"\n}',
      defaultEditorToolsVisibility: true,
    }),
  );
}

function ask(message = ''): void {
  const form = byId('login') as HTMLFormElement;
  form.style.display = 'block';
  byId('error').textContent = message;
  form.onsubmit = (e) => {
    e.preventDefault();
    const secret = (byId('secret') as HTMLInputElement).value;
    void accepted(secret).then((ok) => {
      if (!ok) return ask('That admin secret was not accepted.');
      sessionStorage.setItem(KEY, secret);
      open(secret);
    });
  };
}

const stored = sessionStorage.getItem(KEY);
accepted(stored).then(
  (ok) => (ok ? open(stored) : ask()),
  () => ask('The engine did not answer.'),
);
