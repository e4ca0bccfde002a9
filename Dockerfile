# Atmosphere node image: `docker build -t atmosphere .` then
#   docker run -d --name atmosphere -p 7470:7470 -p 7471:7471 -p 7472:7472 -v atmosphere-data:/data atmosphere
# A two-node demo: packaging/docker/compose.yaml. (No image is built or tested by this project's CI:
# its machines have no Docker engine; tests check this file statically. See docs/INSTALL.md.)

# ---- build: compile TypeScript, bundle the CLI, build the web panel, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles its addon when no prebuilt one can be fetched
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: the built package and its production dependencies, run as a non-root user ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    ATMOSPHERE_HOME=/data \
    ATMOSPHERE_API__HOST=0.0.0.0 \
    ATMOSPHERE_API__PORT=7470 \
    ATMOSPHERE_MESH__TCP_PORT=7471 \
    ATMOSPHERE_MESH__WS_PORT=7472 \
    ATMOSPHERE_LOG__LEVEL=info
RUN groupadd --system atmosphere \
  && useradd --system --gid atmosphere --home-dir /data --shell /usr/sbin/nologin atmosphere \
  && mkdir -p /data \
  && chown atmosphere:atmosphere /data
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/data ./data
COPY --from=build /src/schema ./schema
COPY --from=build /src/ui/dist ./ui/dist
COPY --from=build /src/ui/dist-phone ./ui/dist-phone
COPY --from=build /src/packaging/systemd ./packaging/systemd
COPY --from=build /src/packaging/launchd ./packaging/launchd
COPY --from=build /src/node_modules ./node_modules
RUN ln -s /app/bin/atmosphere.js /usr/local/bin/atmosphere
USER atmosphere
# identity key, config.yaml, database and logs
VOLUME ["/data"]
# HTTP API + web panel, mesh TCP, mesh WebSocket
EXPOSE 7470 7471 7472
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ATMOSPHERE_API__PORT || 7470) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["atmosphere"]
CMD ["start", "--foreground"]
