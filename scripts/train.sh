#!/usr/bin/env bash
# Train the Rasa model unless one already matches the current inputs.
# --force trains anyway.
set -euo pipefail
source "$(dirname "$0")/env.sh"
model=$(scripts/model-name.sh)
if [ -f "$model" ] && [ "${1:-}" != "--force" ]; then
  echo "model up to date: $model"
  exit 0
fi
name=$(basename "$model" .tar.gz)
echo "training $model (takes a few minutes on 2 cores)"
start=$(date +%s)
.venv/bin/rasa train --config bot/config.yml --domain bot/domain \
  --data data/nlu data/dialogue --out models --fixed-model-name "$name"
echo "trained $model in $(( $(date +%s) - start ))s"
# Older models only fill the disk: keep the one just trained.
find models -name 'lapor-*.tar.gz' ! -path "$model" -delete
