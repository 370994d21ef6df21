# One image for the gateway, the worker, the Slack bot and the incident receiver (docker-compose.yml
# picks the command): the repository with its locked npm dependencies, run with the npm scripts the
# README documents (npm run gateway / worker / slack-bot / incidents), TypeScript run by tsx.
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_update_notifier=false
COPY package.json package-lock.json .npmrc ./
# Dev dependencies included: the services run their TypeScript with tsx.
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# Writable by the unprivileged user: the gateway's state and the CLI's/worker's .rollout files.
RUN mkdir -p /var/lib/llm-rollout .rollout && chown node:node /var/lib/llm-rollout .rollout
USER node
CMD ["npm", "run", "worker"]
