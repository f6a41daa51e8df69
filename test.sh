#!/usr/bin/env bash
# Prepares the machine, then builds Swarmlet and runs every test: unit, integration and
# end-to-end (the smoke test of the assembled distribution included). Exits with Maven's status.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

./.ci/setup-host.sh
exec mvn -B install "$@"
