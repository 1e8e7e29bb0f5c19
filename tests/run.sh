#!/usr/bin/env bash
# The project's test command: sets up what the tests need, runs every test, and ends
# with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export NO_COLOR=1
log=$(mktemp)
deno test -A --parallel "$@" tests/ 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -1)
passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
rm -f "$log"
if [ -z "$summary" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$passed passed, $failed failed"
exit "$status"
