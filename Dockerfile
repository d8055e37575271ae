# syntax=docker/dockerfile:1
# Either service for docker-compose: its local server entry bundled by esbuild, run as a non-root user.
#   docker build --build-arg SERVICE=tokenizer-service --build-arg PORT=3001 .
#   docker build --build-arg SERVICE=order-service --build-arg PORT=3000 .
# The payment processor stand-in is built the same way from its own entry:
#   docker build --build-arg SERVICE=local-aws --build-arg ENTRY=src/payment-processor/main.ts --build-arg PORT=4600 .
ARG SERVICE
ARG ENTRY=src/server.ts
ARG PORT

# Every package.json and the lockfile, and nothing else: `npm ci` stays cached until a manifest changes,
# whatever workspaces the repository has.
FROM node:22-slim AS manifests
WORKDIR /repo
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -type d -empty -delete

FROM node:22-slim AS build
ARG SERVICE
ARG ENTRY
RUN test -n "$SERVICE" || (echo 'build argument SERVICE is required' >&2 && exit 1)
WORKDIR /repo
COPY --from=manifests /repo/ ./
RUN npm ci --ignore-scripts --no-audit --no-fund --workspace "$SERVICE" --include-workspace-root
COPY . .
RUN npx esbuild "$SERVICE/$ENTRY" --bundle --minify --sourcemap --platform=node --target=node22 \
      --format=esm --outfile=dist/server.mjs --external:@fastify/swagger --external:@fastify/swagger-ui \
      --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"

FROM node:22-slim
ARG PORT
RUN test -n "$PORT" || (echo 'build argument PORT is required' >&2 && exit 1)
ENV NODE_ENV=production
# Read by the health check below; the server itself reads its own *_PORT variable.
ENV HEALTH_PORT=${PORT}
WORKDIR /app
# The API docs plugins serve static assets from their package folders, so they stay unbundled.
RUN npm install --omit=dev --no-save --no-package-lock --no-audit --no-fund @fastify/swagger@9 @fastify/swagger-ui@6
COPY --from=build --chown=node:node /repo/dist/ ./
USER node
EXPOSE ${PORT}
# Any answer below 500 means the server is up (its API wants a signed or authenticated caller).
HEALTHCHECK --interval=5s --timeout=3s --retries=20 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.HEALTH_PORT + '/health/live').then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "server.mjs"]
