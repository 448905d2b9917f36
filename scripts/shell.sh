#!/usr/bin/env bash
# Chat with the bot in the terminal: starts the backend and the action server
# in the background and `rasa shell` in the foreground.
set -euo pipefail
source "$(dirname "$0")/env.sh"
export BACKEND_PORT=${BACKEND_PORT:-8000}
export ACTIONS_PORT=${ACTIONS_PORT:-5055}
export BACKEND_URL=${BACKEND_URL:-http://localhost:$BACKEND_PORT}
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://localhost:$ACTIONS_PORT/webhook}
PY=.venv/bin/python
$PY -m backend migrate
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' INT TERM EXIT
$PY -m backend serve >var/backend.log 2>&1 &
pids+=($!)
$PY -m actions --port "$ACTIONS_PORT" >var/actions.log 2>&1 &
pids+=($!)
.venv/bin/rasa shell --model "$(scripts/model-name.sh)" --endpoints endpoints.yml
