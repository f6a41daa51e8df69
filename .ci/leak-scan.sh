#!/usr/bin/env bash
# After the whole test run: no secret value a test used may appear in its output.
# Every test's secret values contain the marker "leak-canary" (configs, IDs and names do
# not), so the marker anywhere in the run's log or the test reports means a value reached
# a log line, an error message or printed output. Prints where, never the lines.
# Usage: .ci/leak-scan.sh RUN-LOG
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
MARKER=leak-canary
files=("$1")
while IFS= read -r f; do files+=("$f"); done < <(find . -path '*/target/surefire-reports/*' -type f -o \
    -path '*/target/failsafe-reports/*' -type f 2>/dev/null)
leaks=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  n=$(grep -c -- "$MARKER" "$f" || true)
  if [ "$n" -gt 0 ]; then
    echo "leak-scan: $n line(s) of $f hold a test's secret value" >&2
    leaks=$((leaks + n))
  fi
done
if [ "$leaks" -gt 0 ]; then
  echo "leak-scan: FAILED: secret values reached the output of the test run" >&2
  exit 1
fi
echo "leak-scan: no secret value in ${#files[@]} files of the test run (marker $MARKER)"
