/**
 * The action handler of Hasura's action tests (ACTIONS.md, "Routes"), in TypeScript: an HTTP
 * server on a free port of 127.0.0.1 that plays each route's handler, calling back into the
 * engine's /v1/graphql as admin where the route inserts or reads users. JSON answers are written
 * raw — status line, exactly `Content-Type: application/json` and `Set-Cookie: abcd`, the body,
 * then the connection closes — because expected error bodies echo the handler's headers; every
 * other POST answers 204 with no body, every GET 200.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const EMAIL = /^\w+([.-]?\w+)*@\w+([.-]?\w+)*(\.\w{2,3})+$/;

type Answer = { status: number; body: unknown } | null;

interface Input {
  [k: string]: unknown;
}

class HandlerError extends Error {
  constructor(readonly body: unknown) {
    super('handler error');
  }
}

const invalidEmail = () =>
  new HandlerError({ message: 'Given email address is not valid', code: 'invalid-email' });

export class ActionHandler {
  private server: http.Server | null = null;
  url = '';
  /** the engine's URL, set once it runs (routes call back into it) */
  engineUrl = '';

  constructor(private readonly adminSecret?: string) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200).end();
        return;
      }
      let body: { input?: Input } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { input?: Input };
      } catch {
        // an unparsable body: routes see no input
      }
      const headers: Array<{ name: string; value: string }> = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        headers.push({ name: req.rawHeaders[i]!, value: req.rawHeaders[i + 1]! });
      this.route(req.url ?? '/', body.input ?? {}, headers).then(
        (a) => this.reply(res, a),
        (e: unknown) =>
          this.reply(
            res,
            e instanceof HandlerError
              ? { status: 400, body: e.body }
              : { status: 500, body: { message: String(e) } },
          ),
      );
    });
  }

  private reply(res: http.ServerResponse, a: Answer): void {
    const socket = res.socket;
    if (!socket || socket.destroyed) return;
    if (a === null) {
      socket.end('HTTP/1.1 204 No Content\r\n\r\n');
      return;
    }
    const text = JSON.stringify(a.body);
    socket.end(
      `HTTP/1.1 ${a.status} ${http.STATUS_CODES[a.status] ?? ''}\r\n` +
        'Content-Type: application/json\r\nSet-Cookie: abcd\r\n\r\n' +
        text,
    );
  }

  private async graphql(query: string, variables: Record<string, unknown>): Promise<Input> {
    const r = await fetch(`${this.engineUrl}/v1/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.adminSecret ? { 'x-hasura-admin-secret': this.adminSecret } : {}),
      },
      body: JSON.stringify({ query, variables }),
    }).catch(() => null);
    const out = r && r.status === 200 ? ((await r.json()) as { data?: Input }) : null;
    if (!out?.data)
      throw new HandlerError({ message: 'GraphQL query execution failed', code: 'unexpected' });
    return out.data;
  }

  private async createUser(input: Input): Promise<Input> {
    if (!EMAIL.test(String(input.email))) throw invalidEmail();
    const d = await this.graphql(
      'mutation ($email: String! $name: String!) { insert_user_one(object: {email: $email, name: $name}) { id } }',
      { email: input.email, name: input.name },
    );
    return d.insert_user_one as Input;
  }

  private async usersByEmail(input: Input): Promise<Input[]> {
    if (!EMAIL.test(String(input.email))) throw invalidEmail();
    const d = await this.graphql(
      'query get_user($email:String!) { user(where:{email:{_eq:$email}},order_by: {id: asc}) { id } }',
      { email: input.email },
    );
    return d.user as Input[];
  }

  private nested(u: Input | undefined): Input | undefined {
    if (!u) return u;
    return {
      ...u,
      address: { city: 'New York', country: 'USA' },
      addresses: [
        { city: 'Bangalore', country: 'India' },
        { city: 'Melbourne', country: 'Australia' },
      ],
      user_id: { id: u.id },
    };
  }

  private async route(
    path: string,
    input: Input,
    headers: Array<{ name: string; value: string }>,
  ): Promise<Answer> {
    const ok = (body: unknown): Answer => ({ status: 200, body });
    switch (path) {
      case '/create-user':
        return ok(await this.createUser(input));
      case '/create-user-timeout':
        await new Promise((r) => setTimeout(r, 3000));
        return ok(await this.createUser(input));
      case '/create-users': {
        const users = (input.users as Input[]) ?? [];
        for (const u of users)
          if (!EMAIL.test(String(u.email)))
            throw new HandlerError({
              message: `Email address is not valid: ${String(u.email)}`,
              code: 'invalid-email',
            });
        const d = await this.graphql(
          'mutation ($insert_inputs: [user_insert_input!]!) { insert_user(objects: $insert_inputs) { returning { id } } }',
          { insert_inputs: users },
        );
        return ok((d.insert_user as Input).returning);
      }
      case '/create-user-nested':
        return ok({ userObj: await this.createUser(input) });
      case '/mirror-action':
        return ok(input.arg);
      case '/mirror-headers':
        return ok({ headers });
      case '/get-user-by-email':
        return ok((await this.usersByEmail(input))[0] ?? null);
      case '/get-users-by-email':
        return ok(await this.usersByEmail(input));
      case '/get-user-by-email-nested':
        return ok(this.nested((await this.usersByEmail(input))[0]) ?? null);
      case '/get-users-by-email-nested':
        return ok((await this.usersByEmail(input)).map((u) => this.nested(u)));
      case '/intentional-error':
        return { status: 400, body: input.blob };
      case '/null-response':
        return ok(null);
      case '/omitted-response-field':
        return ok({ country: 'India' });
      case '/scalar-response':
        return ok('some-string');
      case '/json-response':
        return ok({ foo: 'bar' });
      case '/custom-scalar-array-response':
        return ok([{ foo: 'bar' }]);
      case '/scalar-array-response':
        return ok(['foo', 'bar', null]);
      case '/recursive-output':
        return ok({
          direct: { id: 1, this: { id: 2, this: { id: 3 } } },
          list: { id: 1, these: [{ id: 2, these: [{ id: 3 }] }, { id: 4 }] },
          mutual: { id: 1, that: { id: 2, other: { id: 3, that: { id: 4 } } } },
        });
      case '/get-results':
        return ok({ result_ids: [1, 2, 3, 4] });
      case '/typed-nested-null':
        return ok({ id: 1, child: null });
      case '/typed-nested-null-wrong-field':
        return ok({ id: null, child: null });
      case '/get_messages':
        return ok([
          { content: 'baz', user_name: 'foo' },
          { content: 'foo', user_name: 'bar' },
        ]);
      default:
        return null;
    }
  }
}
