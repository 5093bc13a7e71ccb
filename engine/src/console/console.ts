/**
 * `/console`: a GraphiQL admin page for when the real Hasura console is not running — query
 * editor with the documentation explorer, history, variables and a headers editor (for
 * `x-hasura-role` and session variables), subscriptions over the engine's WebSocket.
 *
 * Served only when HASURA_GRAPHQL_ENABLE_CONSOLE=true (Hasura's CE default is false), and like
 * Hasura's console it sits behind the admin secret: the page and its assets carry no secret and no
 * schema; the admin types the secret into the page, which checks it against /v1alpha1/config and
 * keeps it in the browser session (sessionStorage) only, sending it as x-hasura-admin-secret.
 * GraphiQL and React come from node_modules (their UMD builds), never from a CDN.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

const JS = 'text/javascript; charset=utf-8';

/** Asset name → package and file in node_modules, with its content type. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.production.min.js': { pkg: 'react', file: 'umd/react.production.min.js', type: JS },
  'react-dom.production.min.js': {
    pkg: 'react-dom',
    file: 'umd/react-dom.production.min.js',
    type: JS,
  },
  'graphiql.min.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: JS },
  'graphiql.min.css': {
    pkg: 'graphiql',
    file: 'graphiql.min.css',
    type: 'text/css; charset=utf-8',
  },
};

const cache = new Map<string, Buffer>();

export interface ConsoleReply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers: Record<string, string>;
}

const SECURITY_HEADERS = {
  // everything from this origin; nothing from anywhere else
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StreamSync engine console</title>
<link rel="stylesheet" href="/console/assets/graphiql.min.css">
<style>
  html, body, #graphiql { height: 100%; margin: 0; }
  #login { display: none; max-width: 22rem; margin: 15vh auto; font-family: system-ui, sans-serif; }
  #login input { width: 100%; padding: .5rem; margin: .5rem 0; box-sizing: border-box; }
  #login button { padding: .5rem 1rem; }
  #login .error { color: #b00020; min-height: 1.2em; }
  #logout { position: fixed; right: .5rem; bottom: .5rem; z-index: 10; display: none; }
</style>
</head>
<body>
<form id="login" autocomplete="off">
  <h2>StreamSync engine console</h2>
  <label for="secret">Admin secret</label>
  <input id="secret" name="secret" type="password" autofocus>
  <div class="error" id="error"></div>
  <button type="submit">Enter console</button>
</form>
<div id="graphiql"></div>
<button id="logout" type="button">Forget admin secret</button>
<script src="/console/assets/react.production.min.js"></script>
<script src="/console/assets/react-dom.production.min.js"></script>
<script src="/console/assets/graphiql.min.js"></script>
<script>
(function () {
  var KEY = 'streamsync-console-admin-secret';
  var stored = function () { return window.sessionStorage.getItem(KEY); };
  var adminHeaders = function (secret) { return secret ? { 'x-hasura-admin-secret': secret } : {}; };
  function accepted(secret) {
    return fetch('/v1alpha1/config', { headers: adminHeaders(secret) }).then(function (r) { return r.ok; });
  }
  function open(secret) {
    document.getElementById('login').style.display = 'none';
    var logout = document.getElementById('logout');
    if (secret) logout.style.display = 'block';
    logout.onclick = function () { window.sessionStorage.removeItem(KEY); window.location.reload(); };
    var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/graphql';
    var fetcher = GraphiQL.createFetcher({
      url: location.origin + '/v1/graphql',
      subscriptionUrl: wsUrl,
      headers: adminHeaders(secret),
      wsConnectionParams: { headers: adminHeaders(secret) },
    });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        defaultHeaders: '{\\n  "x-hasura-role": "admin"\\n}',
        defaultEditorToolsVisibility: true,
      }),
    );
  }
  function ask(message) {
    var form = document.getElementById('login');
    form.style.display = 'block';
    document.getElementById('error').textContent = message || '';
    form.onsubmit = function (e) {
      e.preventDefault();
      var secret = document.getElementById('secret').value;
      accepted(secret).then(function (ok) {
        if (!ok) return ask('That admin secret was not accepted.');
        window.sessionStorage.setItem(KEY, secret);
        open(secret);
      });
    };
  }
  accepted(stored()).then(function (ok) { ok ? open(stored()) : ask(); }, function () { ask('The engine did not answer.'); });
})();
</script>
</body>
</html>
`;

function asset(name: string): Buffer | undefined {
  const a = ASSETS[name];
  if (!a) return undefined;
  let b = cache.get(name);
  if (!b) {
    // the UMD builds are not in the packages' exports: go through package.json
    b = fs.readFileSync(path.join(path.dirname(require.resolve(`${a.pkg}/package.json`)), a.file));
    cache.set(name, b);
  }
  return b;
}

/**
 * Answer a console path (`/`, `/console`, `/console/…`), or undefined when the path is not the
 * console's. With the console disabled, undefined: the caller's 404 applies, as in Hasura.
 */
export function consoleReply(enabled: boolean, urlPath: string): ConsoleReply | undefined {
  if (!enabled) return undefined;
  if (urlPath === '/') {
    return {
      status: 302,
      body: '',
      contentType: 'text/plain; charset=utf-8',
      headers: { location: 'console' },
    };
  }
  if (urlPath.startsWith('/console/assets/')) {
    const name = path.posix.basename(urlPath);
    const body = asset(name);
    if (!body) return undefined;
    return {
      status: 200,
      body,
      contentType: ASSETS[name]!.type,
      headers: { ...SECURITY_HEADERS, 'cache-control': 'public, max-age=86400' },
    };
  }
  if (urlPath === '/console' || urlPath.startsWith('/console/')) {
    return {
      status: 200,
      body: PAGE,
      contentType: 'text/html; charset=utf-8',
      headers: { ...SECURITY_HEADERS, 'cache-control': 'no-store' },
    };
  }
  return undefined;
}
