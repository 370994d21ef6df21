#!/bin/sh
# Temporal setup for docker-compose.yml, in the temporalio/admin-tools image. Idempotent: every
# `docker compose up` runs it again and it changes only what is missing.
#   setup.sh schema      both databases' schemas at this server version (temporal-sql-tool;
#                        the password comes from SQL_PASSWORD), before the server starts
#   setup.sh namespace   once the server answers: the namespace (TEMPORAL_NAMESPACE) and the
#                        rollout search attributes (ROLLOUT_SEARCH_ATTRIBUTES, Keyword each)
set -eu

schema() {
  dir=/etc/temporal/schema/postgresql/v12
  for pair in "temporal:temporal" "temporal_visibility:visibility"; do
    db=${pair%%:*}
    versions=${pair#*:}
    sql() { temporal-sql-tool --plugin postgres12 --ep "$SQL_HOST" -p "${SQL_PORT:-5432}" -u "$SQL_USER" --db "$db" "$@"; }
    # 0.0 is skipped on a database that is already past it; update-schema applies only newer versions.
    sql setup-schema -v 0.0
    sql update-schema -d "$dir/$versions/versioned"
    echo "[temporal-setup] schema of $db is current"
  done
}

# Retries a command: the server, then a new namespace, take a little while to answer.
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    [ "$tries" -ge 60 ] && { echo "[temporal-setup] gave up: $*" >&2; return 1; }
    sleep 2
  done
}

namespace() {
  ns=${TEMPORAL_NAMESPACE:-default}
  retry temporal operator cluster health
  if ! temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
    temporal operator namespace create --namespace "$ns" --retention "${TEMPORAL_RETENTION:-30d}"
  fi
  for name in $ROLLOUT_SEARCH_ATTRIBUTES; do
    if ! temporal operator search-attribute list --namespace "$ns" | grep -qw "$name"; then
      retry temporal operator search-attribute create --namespace "$ns" --name "$name" --type Keyword
    fi
  done
  echo "[temporal-setup] namespace $ns with search attributes $ROLLOUT_SEARCH_ATTRIBUTES"
}

case "${1:-}" in
  schema) schema ;;
  namespace) namespace ;;
  *) echo "usage: setup.sh schema|namespace" >&2; exit 2 ;;
esac
