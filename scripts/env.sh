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
