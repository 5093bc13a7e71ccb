/**
 * `/console`: a GraphiQL admin page for when the real Hasura console is not running — query
 * editor with the documentation explorer, history, variables and a headers editor (for
 * `x-hasura-role` and session variables), subscriptions over the engine's WebSocket.
 *
 * Served only when HASURA_GRAPHQL_ENABLE_CONSOLE=true (Hasura's CE default is false), and like
 * Hasura's console it sits behind the admin secret: the page and its assets carry no secret and no
 * schema; the admin types the secret into the page, which checks it against /v1alpha1/config and
 * keeps it in the browser session (sessionStorage) only, sending it as x-hasura-admin-secret.
 * GraphiQL and React come from node_modules, bundled with esbuild (client.ts) the first time the
 * console is served, then kept in memory — never from a CDN, and without a build step that could
 * go stale.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

interface Asset {
  body: Buffer;
  type: string;
}

let bundling: Promise<Map<string, Asset>> | undefined;

/** Bundle client.ts and GraphiQL's stylesheet once; a failure is retried on the next request. */
function assets(): Promise<Map<string, Asset>> {
  bundling ??= (async () => {
    const result = await build({
      entryPoints: {
        console: fileURLToPath(new URL('./client.ts', import.meta.url)),
        graphiql: 'graphiql/style.css',
      },
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl' },
      outdir: 'out',
      write: false,
      logLevel: 'silent',
    });
    const map = new Map<string, Asset>();
    for (const file of result.outputFiles) {
      const name = file.path.split('/').pop()!;
      map.set(name, { body: Buffer.from(file.contents), type: name.endsWith('.css') ? CSS : JS });
    }
    return map;
  })().catch((err: unknown) => {
    bundling = undefined;
    throw err;
  });
  return bundling;
}

export interface ConsoleReply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers: Record<string, string>;
}

const SECURITY_HEADERS = {
  // everything from this origin; nothing from anywhere else
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StreamSync engine console</title>
<link rel="stylesheet" href="/console/assets/graphiql.css">
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
<script src="/console/assets/console.js"></script>
</body>
</html>
`;

/**
 * Answer a console path (`/`, `/console`, `/console/…`), or undefined when the path is not the
 * console's. With the console disabled, undefined: the caller's 404 applies, as in Hasura.
 */
export async function consoleReply(
  enabled: boolean,
  urlPath: string,
): Promise<ConsoleReply | undefined> {
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
    const asset = (await assets()).get(urlPath.slice('/console/assets/'.length));
    if (!asset) return undefined;
    return {
      status: 200,
      body: asset.body,
      contentType: asset.type,
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
