#!/usr/bin/env bash
# Print the model file name for the current training inputs: the pipeline and
# policies, the domain, the training data and the NLU components' code (with the
# shared modules and data they read: gazetteer, wilayah, normalisation; the same
# files bot/components/fingerprint.py gives Rasa's training cache). Any
# change gives a new name, so `make run` trains exactly when no model matches.
set -euo pipefail
cd "$(dirname "$0")/.."
hash=$(find bot/config.yml bot/domain bot/components data/nlu data/dialogue data/lexicon \
         data/gazetteer lapor/gazetteer.py lapor/wilayah.py lapor/normalize.py lapor/paths.py \
         -type f \( -name '*.yml' -o -name '*.py' -o -name '*.geojson' \) -print0 \
       | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
echo "models/lapor-${hash}.tar.gz"
