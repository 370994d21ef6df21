#!/usr/bin/env bash
# One idempotent setup for a fresh machine: npm dependencies, the pinned Temporal server binaries,
# and the Debian packages the embedded stack and the integration tests run (Prometheus,
# Alertmanager, HAProxy, Chromium, and docker-compose, which checks docker-compose.yml offline). Fast and silent when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

bash scripts/install-temporal.sh

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
# Headless Chromium for the report, UI and dashboard tests (driven by puppeteer-core: no download).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Debian's docker-compose (1.29): `docker-compose config -q` validates docker-compose.yml without a
# container engine (test/unit/docker-compose.test.ts). Nothing here runs containers.
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  # --no-install-recommends and policy-rc.d keep the packages' own services from starting:
  # the project starts its own instances on loopback with its own configs.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/llm-rollout-apt.log 2>&1 \
    || { cat /tmp/llm-rollout-apt.log >&2; exit 1; }
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
