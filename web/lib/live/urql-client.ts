/**
 * The one urql client of the browser: queries over HTTP to the endpoint the session names (with
 * the session's token), subscriptions over the LiveConnection's graphql-ws socket.
 *
 * A subscription may pass `resume` in its context: a function giving the variables to (re)send
 * with, called each time the subscription is (re)started on a socket — how a stream resumes from
 * its last cursor after a reconnect or a token handover.
 */
import { Client, fetchExchange, subscriptionExchange, type Operation } from '@urql/core';
import type { LiveConnection } from './live-connection';

export type ResumeVariables = () => Record<string, unknown>;

export function createUrqlClient(live: LiveConnection): Client {
  return new Client({
    // the real URL comes from the session at request time (runtime configuration)
    url: '/graphql',
    requestPolicy: 'network-only',
    preferGetMethod: false,
    fetch: async (_input, init) => {
      const session = await live.currentSession();
      const headers = new Headers(init?.headers);
      headers.set('Authorization', `Bearer ${session.token}`);
      return fetch(session.graphqlUrl, { ...init, headers });
    },
    exchanges: [
      subscriptionExchange({
        forwardSubscription: (request, operation: Operation) => ({
          subscribe: (sink) => {
            const resume = operation.context.resume as ResumeVariables | undefined;
            const dispose = live.subscribe(
              () => ({
                query: request.query ?? '',
                operationName: request.operationName,
                variables: resume
                  ? resume()
                  : (request.variables as Record<string, unknown> | undefined),
                extensions: request.extensions as Record<string, unknown> | undefined,
              }),
              sink as Parameters<LiveConnection['subscribe']>[1],
            );
            return { unsubscribe: dispose };
          },
        }),
      }),
      fetchExchange,
    ],
  });
}
