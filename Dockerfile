# syntax=docker/dockerfile:1
# joblog-bot container image.
#   docker build -t joblog-bot .
#   docker run --env-file .env -p 3000:3000 -v joblog-data:/app/data joblog-bot
# Settings come from the environment (see src/config.ts). With the default DATABASE_URL the SQLite
# database lives on the /app/data volume; set DATABASE_URL=postgres://… to use PostgreSQL instead.

# ---- build: compile TypeScript and the better-sqlite3 native module ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 builds from source (node-gyp): it needs python3, make and a C++ compiler.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc -p tsconfig.build.json → dist/
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime: compiled JS and production node_modules only, no compiler ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Same base image as the build stage, so the native module built there loads here. The code stays
# owned by root (read-only for the app); only /app/data is writable by the node user.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
# Create the data directory before VOLUME so a new named volume inherits the node user's ownership.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV DATABASE_URL=sqlite:/app/data/joblog.db
VOLUME /app/data
# Slack requests (/slack/events) and /healthz; unused for Slack traffic in Socket Mode.
EXPOSE 3000
# The slim image has no curl: ask node itself. /healthz must answer on PORT in both HTTP and Socket Mode.
# /healthz is liveness only (the process serves): a BlueKing or database outage must not get the
# container restarted. Readiness (database write round trip, SQLite file still in place, BlueKing
# reachable) is /readyz: use it for a Kubernetes readinessProbe or a load balancer, not here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# node runs as PID 1 (exec-form CMD, no shell in between), so `docker stop`'s SIGTERM reaches it
# directly. PID 1 gets no default signal handlers, so the app installs its own SIGTERM/SIGINT
# handlers and shuts down gracefully; keep it that way when changing src/main.ts.
# The bot spawns no child processes, so no init (tini / `docker run --init`) is needed to reap zombies;
# use --init anyway if you prefer belt and braces.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
