# aspects in a container: Debian slim with Node.js 24 (LTS), the CLI as entrypoint, run as uid 1000.
#   docker build --build-arg VERSION=0.1.0 --build-arg SOURCE_URL=https://git.example.com/aspects -t aspects:0.1.0 .
#   docker run --rm -e ASPECTS_MYSQL_URL=… -e ASPECTS_CLICKHOUSE_URL=… aspects:0.1.0 dump --object all --json
# The embedded engine (chdb, about 600 MB) is left out: in a cluster, aspects writes to a ClickHouse server.
# Node.js 24: supported until 2028-04-30 (22 ends 2027-04-30); the tests run on 20, 22, 24 and 26 (.ci/node-lts).

FROM node:24-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ARG VERSION=0.1.0
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="aspects" \
      org.opencontainers.image.description="Copy Open edX LMS data from MySQL into ClickHouse for the Aspects analytics stack" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="AGPL-3.0-only" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production
WORKDIR /opt/aspects
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY package.json ./
COPY bin ./bin
RUN ln -s /opt/aspects/bin/aspects /usr/local/bin/aspects
# The image's own unprivileged user `node`, by number: kubelet can check runAsNonRoot only on a numeric user.
USER 1000:1000
ENTRYPOINT ["aspects"]
CMD ["--help"]
