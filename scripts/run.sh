#!/usr/bin/env bash
# Start the backend, the action server and the Rasa server together, on the
# embedded defaults (SQLite, in-memory tracker store). Ctrl-C stops all three.
set -euo pipefail
source "$(dirname "$0")/env.sh"

export BACKEND_PORT=${BACKEND_PORT:-8000}
export RASA_PORT=${RASA_PORT:-5005}
export ACTIONS_PORT=${ACTIONS_PORT:-5055}
export BACKEND_URL=${BACKEND_URL:-http://localhost:$BACKEND_PORT}
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://localhost:$ACTIONS_PORT/webhook}
if [ -z "${OPEN311_API_KEY:-}" ]; then
  echo "note: OPEN311_API_KEY is not set; using the development key 'dev-open311-key'"
fi
if [ -z "${RASA_TOKEN:-}" ]; then
  export RASA_TOKEN=dev-rasa-token
  echo "note: RASA_TOKEN is not set; the Rasa HTTP API uses the development token 'dev-rasa-token'"
fi
PY=.venv/bin/python

$PY -m backend migrate
$PY -m backend dev-keys
scripts/train.sh
model=$(scripts/model-name.sh)

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap stop INT TERM EXIT

$PY -m backend serve &
pids+=($!)
$PY -m actions --port "$ACTIONS_PORT" &
pids+=($!)
.venv/bin/rasa run --model "$model" --endpoints endpoints.yml --credentials bot/credentials.yml \
  --port "$RASA_PORT" --enable-api --auth-token "$RASA_TOKEN" --cors "*" &
pids+=($!)

cat <<MSG

  Lapor Mbak Wali 112 is starting:
    city page + widget http://localhost:$BACKEND_PORT/
    backend (Open311)  http://localhost:$BACKEND_PORT/open311/v2/services.json
    chat test page     http://localhost:$BACKEND_PORT/chat
    action server      http://localhost:$ACTIONS_PORT/health
    Rasa server        http://localhost:$RASA_PORT/  (HTTP API token: \$RASA_TOKEN)
    WhatsApp webhook   http://localhost:$RASA_PORT/webhooks/whatsapp/webhook
  Press Ctrl-C to stop.

MSG
# If any of the three exits, stop the others rather than run half a system.
wait -n "${pids[@]}" || true
echo "a process exited; stopping the others"
