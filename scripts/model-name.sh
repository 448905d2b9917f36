#!/usr/bin/env bash
# Print the model file name for the current bot config, domain, training data
# and NLU components: a changed input gives a new name, so `make run` trains
# exactly when no model matches what is on disk.
set -euo pipefail
cd "$(dirname "$0")/.."
hash=$(find bot data/nlu data/dialogue data/lexicon -type f \( -name '*.yml' -o -name '*.py' \) \
         -not -name 'credentials.yml' -print0 \
       | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
echo "models/lapor-${hash}.tar.gz"
