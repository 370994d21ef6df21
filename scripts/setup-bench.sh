#!/usr/bin/env bash
# What `npm run bench:gateway` needs beyond scripts/setup.sh: Debian's nginx (the static upstream)
# and wrk (the load generator). Idempotent, silent when both are present. The packages' own
# services are kept from starting: the bench runs its own nginx in the foreground on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup-bench] apt-get install ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/llm-rollout-apt-bench.log 2>&1 \
    || { cat /tmp/llm-rollout-apt-bench.log >&2; $SUDO rm -f /usr/sbin/policy-rc.d; exit 1; }
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
