#!/usr/bin/env bash
# Builds the test API server (test/support/kube-apiserver: k8s.io/apiextensions-apiserver with
# authentication and authorization off) from the Go module proxy, cached by version and source
# hash under ${XDG_CACHE_HOME:-~/.cache}/llm-rollout; downloads the Gateway API and Istio API
# modules whose CRDs the tests install from the module cache; installs Debian's etcd-server
# without starting its service. About 5 minutes on 2 cores the first time; silent once done.
# test/support/kube-cluster.ts resolves the same paths.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$here/kube-versions.env"
src="$here/../test/support/kube-apiserver"
cache="${LLM_ROLLOUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-rollout}"
key=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)
dest="$cache/kube-apiserver-$KUBE_APISERVER_VERSION-$key"

if [ ! -x "$dest/bin/kube-apiserver" ]; then
  echo "[setup-kube] go build test/support/kube-apiserver (k8s.io/apiextensions-apiserver $KUBE_APISERVER_VERSION) into $dest" >&2
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  (cd "$src" && go build -trimpath -o "$dest.tmp/kube-apiserver" .) >&2
  mkdir -p "$dest/bin" && mv "$dest.tmp/kube-apiserver" "$dest/bin/kube-apiserver" && rm -rf "$dest.tmp"
fi

modcache=$(go env GOMODCACHE)
if [ ! -d "$modcache/sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION/config/crd" ] || [ ! -d "$modcache/istio.io/api@$ISTIO_API_VERSION/kubernetes" ]; then
  echo "[setup-kube] go mod download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION istio.io/api@$ISTIO_API_VERSION" >&2
  (cd "$src" && go mod download "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" "istio.io/api@$ISTIO_API_VERSION") >&2
fi

if ! command -v etcd >/dev/null 2>&1; then
  echo "[setup-kube] apt-get install etcd-server" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  # policy-rc.d keeps the package's own etcd service from starting: the tests run their own on loopback.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends etcd-server >/tmp/llm-rollout-apt-etcd.log 2>&1 \
    || { $SUDO rm -f /usr/sbin/policy-rc.d; cat /tmp/llm-rollout-apt-etcd.log >&2; exit 1; }
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
