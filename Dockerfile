# One image for StreamSync's Node services (docker-compose.yml picks the command per service).
#   target `node`: the worker and the demo producer (TypeScript run with tsx; no curl in the image,
#                  so healthchecks use node's fetch)
#   target `web`:  the Next.js dashboard, built once; every setting is read at run time
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# package manifests first, so the dependency layer is cached until they change
COPY package.json package-lock.json ./
COPY database/package.json database/
COPY testing/package.json testing/
COPY stack/package.json stack/
COPY engine/package.json engine/
COPY etl-worker/package.json etl-worker/
COPY bench/package.json bench/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund

FROM deps AS node
COPY . .
ENV NODE_ENV=production
USER node

FROM deps AS web-build
COPY . .
RUN npm run build -w web

FROM web-build AS web
ENV NODE_ENV=production
# next start writes its cache under .next/cache: the only place the node user needs to write
RUN mkdir -p /app/web/.next/cache && chown -R node:node /app/web/.next/cache
USER node
WORKDIR /app/web
EXPOSE 3000
CMD ["node", "../node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]
