# StreamSync's Node services, one lean image per service (docker-compose.yml picks the target):
#   target `etl-worker`: the worker and the demo producer (one package, two commands). Only
#                        etl-worker's and @streamsync/database's production dependencies (tsx runs
#                        the TypeScript; no curl in the image, so healthchecks use node's fetch).
#   target `web`:        the Next.js dashboard, built once with every dependency, then run with
#                        web's production dependencies and the build output only; every setting
#                        is read at run time.
# Each runtime stage copies only its workspaces' package.json into the install: npm links every
# workspace it sees and installs the dependencies of each, dev ones included (stack's embedded
# Postgres, playwright), whatever --omit=dev says; a workspace it does not see costs nothing.
# Node 22 is an LTS line supported until 2027-04.
FROM node:22-bookworm-slim AS base
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1

FROM base AS etl-worker
COPY package.json package-lock.json ./
COPY database/package.json database/
COPY etl-worker/package.json etl-worker/
RUN npm ci --omit=dev --workspace etl-worker --include-workspace-root=false --no-audit --no-fund \
  && npm cache clean --force
COPY database/src database/src
COPY etl-worker/src etl-worker/src
ENV NODE_ENV=production
USER node

# The build needs the dev dependencies (TypeScript, Tailwind); none of this stage ships.
FROM base AS web-build
COPY package.json package-lock.json ./
COPY database/package.json database/
COPY testing/package.json testing/
COPY stack/package.json stack/
COPY engine/package.json engine/
COPY etl-worker/package.json etl-worker/
COPY bench/package.json bench/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build -w web && rm -rf web/.next/cache

FROM base AS web-deps
COPY package.json package-lock.json ./
COPY web/package.json web/
RUN npm ci --omit=dev --workspace web --include-workspace-root=false --no-audit --no-fund \
  && npm cache clean --force

FROM base AS web
ENV NODE_ENV=production
COPY --from=web-deps /app/node_modules node_modules
COPY web/package.json web/next.config.ts web/
COPY --from=web-build /app/web/.next web/.next
# next start writes its cache under .next/cache: the only place the node user needs to write
RUN mkdir -p /app/web/.next/cache && chown -R node:node /app/web/.next/cache
USER node
WORKDIR /app/web
EXPOSE 3000
CMD ["node", "../node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]
