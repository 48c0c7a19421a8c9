#!/usr/bin/env bash
# The test command of README.md (`make test`): installs and starts the real services
# on 127.0.0.1, checks the code style, runs the whole test suite against the
# services, and stops them again, whatever the outcome.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
bin=${VENV:-.venv}/bin
services=deployments/testing/services.sh

export DO_NOT_TRACK=1
export PREFECT_SERVER_ANALYTICS_ENABLED=false
made_here=""
if [ -z "${MLPULSE_SERVICES_DIR:-}" ]; then
  MLPULSE_SERVICES_DIR=$(mktemp -d /tmp/mlpulse-services.XXXXXX)
  made_here=$MLPULSE_SERVICES_DIR
fi
export MLPULSE_SERVICES_DIR
# Prefect's own state and results stay inside this run's folder.
export PREFECT_HOME=$MLPULSE_SERVICES_DIR/prefect
export PREFECT_RESULTS_LOCAL_STORAGE_PATH=$MLPULSE_SERVICES_DIR/prefect/results

bash "$services" install
cleanup() {
  bash "$services" stop
  # the data of a folder this script made is of no use after the run
  [ -z "$made_here" ] || rm -rf "$made_here"
}
trap cleanup EXIT
bash "$services" start
# shellcheck disable=SC1091
source "$MLPULSE_SERVICES_DIR/env"

"$bin/ruff" check .
"$bin/ruff" format --check .

status=0
"$bin/pytest" "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "run-tests: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
