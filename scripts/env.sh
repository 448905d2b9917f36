# Sourced by the scripts: the environment every project process runs with.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
# No telemetry or error reports leave the machine (and there is no network).
export RASA_TELEMETRY_ENABLED=false
export SQLALCHEMY_SILENCE_UBER_WARNING=1
# Rasa 3.6's dependencies warn about their own deprecated calls at every start.
# The three servers drop library warnings themselves (lapor/logs.py); this is
# for Rasa's own CLI (`rasa train`, `rasa shell`).
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning}
# Rasa's training cache, shared by every checkout on this machine (a fresh
# clone retrains only what changed). Safe to share: our components add their
# code and data to Rasa's cache keys (bot/components/fingerprint.py).
export RASA_CACHE_DIRECTORY=${RASA_CACHE_DIRECTORY:-${XDG_CACHE_HOME:-$HOME/.cache}/lapor-mbak-wali/rasa}
