# syntax=docker/dockerfile:1
# Build stage: full toolchain (native modules such as better-sqlite3 compile here).
FROM node:22-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are skipped (the prepare script would compile sources not copied yet), so the
# native part of better-sqlite3 is built explicitly, against this image's own Node headers
# (no header download; the prebuilt-binary download may fail, then it compiles from source).
RUN npm ci --ignore-scripts \
  && npm rebuild better-sqlite3 --nodedir="$(node -p 'require("path").resolve(process.execPath, "../..")')"
COPY . .
RUN npm run build && npm prune --omit=dev

# Runtime stage: slim image, non-root user, no secrets baked in (pass them as env or mounted files).
FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=8080 SUBHUB_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/package.json ./
COPY --from=build /app/config ./config
COPY --from=build /app/mappings ./mappings
COPY --from=build /app/console ./console
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/subhub.js", "start"]
