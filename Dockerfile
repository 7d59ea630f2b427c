# syntax=docker/dockerfile:1
# entrenar-tracking: build the TypeScript once, ship only the runtime.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native addon when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
# The web dashboard, bundled by vite into dist/web (no CDN at run time).
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    ENTRENAR_HOST=0.0.0.0 \
    ENTRENAR_PORT=5000 \
    ENTRENAR_DATA_DIR=/data
WORKDIR /app
RUN useradd --system --uid 10001 --no-create-home entrenar \
 && mkdir /data && chown 10001 /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
USER 10001
VOLUME ["/data"]
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:5000/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/entrenar.js"]
CMD ["server", "--host", "0.0.0.0", "--port", "5000"]
