import path from 'node:path';
import type { NextConfig } from 'next';

// `next` runs with web/ as its working directory; the repository root holds the lockfile and the
// hoisted node_modules of every workspace.
const repoRoot = path.resolve(process.cwd(), '..');

// One build serves every deployment: nothing here depends on where the GraphQL server is. The
// browser learns its endpoints and token at run time from /api/session.
const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
};

export default nextConfig;
