#!/usr/bin/env bash
# Prepares the machine, then builds Swarmlet and runs every test: unit, integration and
# end-to-end (the smoke test of the assembled distribution included), then scans the whole
# run's output for the secret values the tests used (.ci/leak-scan.sh). Exits non-zero if
# Maven failed or a value leaked.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

./.ci/setup-host.sh
mkdir -p target
status=0
mvn -B install "$@" 2>&1 | tee target/test-run.log || status=$?
[ "$status" -eq 0 ] || exit "$status"
exec ./.ci/leak-scan.sh target/test-run.log
