#!/usr/bin/env bash
# The production-Temporal test profile's servers: the Temporal server and its SQL schema tool,
# built from the Go module proxy into ${cache}/temporal-server-<version>/bin with the server's
# PostgreSQL schema beside them (stack/temporal-binaries.ts resolves the same paths), and Debian's
# PostgreSQL. About 3 minutes the first time; instant and silent once done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$here/temporal-versions.env"
cache="${LLM_ROLLOUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-rollout}"
dest="$cache/temporal-server-$TEMPORAL_SERVER_VERSION"
module="go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"

if [ ! -x "$dest/bin/temporal-server" ] || [ ! -x "$dest/bin/temporal-sql-tool" ] || [ ! -d "$dest/schema/postgresql/v12" ]; then
  command -v go >/dev/null 2>&1 || { echo "[setup] Go is needed to build the Temporal server (https://go.dev/dl)" >&2; exit 1; }
  echo "[setup] building the Temporal server $TEMPORAL_SERVER_VERSION and temporal-sql-tool with go install (about 3 minutes)" >&2
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp/bin"
  export GOTOOLCHAIN="$TEMPORAL_SERVER_GO_TOOLCHAIN"
  GOBIN="$dest.tmp/bin" go install "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >&2
  mv "$dest.tmp/bin/server" "$dest.tmp/bin/temporal-server"
  mv "$dest.tmp/bin/sql" "$dest.tmp/bin/temporal-sql-tool"
  # The schema files ship in the module, not in the binaries: keep a copy beside them, since the
  # Go module cache may be cleaned.
  src="$(go env GOMODCACHE)/$module/schema/postgresql/v12"
  mkdir -p "$dest.tmp/schema/postgresql"
  cp -r "$src" "$dest.tmp/schema/postgresql/v12"
  chmod -R u+w "$dest.tmp/schema"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi

# Debian's PostgreSQL (its binaries live in /usr/lib/postgresql/<major>/bin, off PATH).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  echo "[setup] apt-get install postgresql" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  # policy-rc.d keeps Debian's own cluster from starting: the tests run a throwaway one.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/tmp/llm-rollout-apt.log 2>&1 \
    || { cat /tmp/llm-rollout-apt.log >&2; exit 1; }
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
