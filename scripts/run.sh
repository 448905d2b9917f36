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
# The demo page on the backend embeds the widget, which talks to Rasa.
export WIDGET_ALLOWED_ORIGINS=${WIDGET_ALLOWED_ORIGINS:-http://localhost:$BACKEND_PORT,http://127.0.0.1:$BACKEND_PORT}
# Unset secrets take their development values (lapor/settings.py, named in the
# README); each process says on one line which development defaults it runs on.
PY=.venv/bin/python
# A Redis on this machine lets the city's messages reach web-chat reporters
# (stored and pushed through it); without one those notices stay undeliverable.
if [ -z "${REDIS_URL:-}" ] && $PY -c 'import redis; redis.Redis(socket_timeout=1).ping()' 2>/dev/null; then
  export REDIS_URL=redis://localhost:6379/0
  echo "note: using the local Redis (REDIS_URL=$REDIS_URL) for channel state and web-chat messages"
fi

# The editors' tool (console "Data latih bot") commits to a git working copy of
# its own, never to this checkout: var/nlu-data, cloned once from it.
if [ -z "${NLU_DATA_REPO:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
  export NLU_DATA_REPO=$PWD/var/nlu-data
  [ -d "$NLU_DATA_REPO/.git" ] || git clone --quiet "$PWD" "$NLU_DATA_REPO"
fi

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

# Rasa takes longest to start (its model): it and the action server, which need
# no database, start first, and load while the backend's database is prepared.
$PY -m bot --model "$model" &
pids+=($!)
$PY -m actions --port "$ACTIONS_PORT" &
pids+=($!)
$PY -m backend migrate
$PY -m backend dev-keys
$PY -m backend dev-users
$PY -m backend serve &
pids+=($!)
# The conversation pipeline: Rasa's sql broker (var/events.sqlite3) -> backend database.
$PY -m backend consume &
pids+=($!)

# The URLs come last, under the start-up logs: once all three servers answer
# (Rasa loads its model first: about half a minute here), or after READY_TIMEOUT seconds.
answers() { $PY -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; }
ready() {
  local deadline=$((SECONDS + ${READY_TIMEOUT:-600})) i pid
  local names=("backend" "action server" "Rasa server")
  local urls=("http://localhost:$BACKEND_PORT/health" "http://localhost:$ACTIONS_PORT/health" "http://localhost:$RASA_PORT/")
  for i in "${!urls[@]}"; do
    until answers "${urls[$i]}"; do
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
      if ((SECONDS >= deadline)); then
        echo "note: the ${names[$i]} does not answer at ${urls[$i]} yet"
        break
      fi
      sleep 1
    done
  done
}
# The token the Rasa HTTP API wants: yours if set, else the development one.
if [ -n "${RASA_TOKEN:-}" ]; then token='$RASA_TOKEN'; else token=dev-rasa-token; fi
if ready; then
  # The trainer worker: trains and evaluates the models editors ask for ("Latih
  # model"). Started once the bot answers: its own TensorFlow start-up would
  # otherwise compete with Rasa's for the machine.
  $PY -m bot nlu train &
  pids+=($!)
  cat <<MSG

  ----------------------------------------------------------------------------
  Lapor Mbak Wali 112 is running:
    city page + widget http://localhost:$BACKEND_PORT/
    city console       http://localhost:$BACKEND_PORT/console/
                       users: operator, kepala-regu, staf-dishub, kepala-dishub, pemilah,
                       editor, monev, admin (password: konsol-dev-kediri)
    backend (Open311)  http://localhost:$BACKEND_PORT/open311/v2/services.json
    API description    http://localhost:$BACKEND_PORT/openapi.json
    action server      http://localhost:$ACTIONS_PORT/health
    Rasa server        http://localhost:$RASA_PORT/  (HTTP API token: $token)
    WhatsApp webhook   http://localhost:$RASA_PORT/webhooks/whatsapp/webhook
  Press Ctrl-C to stop.
  ----------------------------------------------------------------------------

MSG
fi
# If any of the three exits, stop the others rather than run half a system.
wait -n "${pids[@]}" || true
echo "a process exited; stopping the others"
