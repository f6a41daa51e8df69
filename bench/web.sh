#!/usr/bin/env bash
# The web console against same-run baselines (issue 9): how late the page's event stream reports a
# new running task compared with Docker's own start event, a /metrics scrape against a JSON read, and
# the daemon's memory with and without the console. The measuring is in bench/web.py.
# Usage: bench/web.sh   (after mvn -DskipTests install; needs root and dockerd)
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=distribution/target/swarmlet
[ -x "$DIST/bin/swarmletd" ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
.ci/setup-host.sh >/dev/null
exec python3 bench/web.py "$DIST"
