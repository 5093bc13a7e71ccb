/**
 * Runs once when the server starts: reads the role's schema and the pipeline declarations before
 * any page asks for them (lib/server/discovery.ts), so the first page waits for neither. A GraphQL
 * server that is not up yet costs nothing: the first page reads them.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { warmDiscovery } = await import('./lib/server/discovery');
  void warmDiscovery().catch(() => {});
}
