# soquy in a container: Node 22 LTS, production dependencies only, run as the unprivileged `node` user.
# Build and start steps are the same npm commands as on a machine; scripts/container-check.sh runs them
# (RUN npm … and CMD) in a clean directory on Node 22 where no Docker engine is at hand.
#   docker build -t soquy . && docker run -p 3000:3000 -v soquy-data:/data soquy
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000 \
    SOQUY_SIGNING_KEY_FILE=/run/secrets/soquy-signing-key
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json knexfile.ts tsconfig.json ./
COPY src ./src
COPY sql ./sql
COPY migrations ./migrations
COPY reports ./reports
COPY seeds ./seeds
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
