#!/usr/bin/env bash
# Smoke check of deployments/prefect.yaml: start a throwaway local Prefect server, create the
# work pool, `prefect deploy --all`, list and inspect the deployments, stop the server.
# Run from the repository root:  bash deployments/check_deploy.sh
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PREFECT=${PREFECT:-.venv/bin/prefect}
PREFECT_HOME=$(mktemp -d "${TMPDIR:-/tmp}/reewatch-deploy-check.XXXX")
export PREFECT_HOME
PORT=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 PREFECT_UI_ENABLED=false
export PREFECT_SERVER_DATABASE_CONNECTION_URL="sqlite+aiosqlite:///$PREFECT_HOME/prefect.db"
"$PREFECT" server start --host 127.0.0.1 --port "$PORT" > "$PREFECT_HOME/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$PREFECT_HOME"' EXIT
export PREFECT_API_URL="http://127.0.0.1:$PORT/api"
for _ in $(seq 1 120); do
  "$PY" -c "import httpx, sys; sys.exit(httpx.get('$PREFECT_API_URL/health').status_code != 200)" 2>/dev/null && break
  sleep 1
done
"$PREFECT" work-pool create reewatch-process --type process > /dev/null
"$PREFECT" --no-prompt deploy --all --prefect-file deployments/prefect.yaml > "$PREFECT_HOME/deploy.log" 2>&1
rc=$?
[ $rc -eq 0 ] || { tail -40 "$PREFECT_HOME/deploy.log"; echo "prefect deploy failed ($rc)"; exit $rc; }
"$PREFECT" deployment ls
for d in ingest/ingest digest/digest; do
  "$PREFECT" deployment inspect "$d" | grep -E "'(entrypoint|directory|interval|cron|timezone|collision_strategy|limit)'"
done
