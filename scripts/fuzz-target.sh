#!/usr/bin/env bash
# fuzz-target.sh DIR NAME FUZZTIME: fuzz the target NAME of the package in DIR for FUZZTIME
# (make fuzz runs it for every target).
#
# A failing input fails it at once: go test prints "Failing input written to testdata/fuzz/..."
# and the input stays there for `go test -run NAME/...` to replay. One failure is run again: Go
# 1.26's fuzz coordinator can report its own -fuzztime deadline as the target's failure when a
# worker is still mid-call on a busy machine (Go issue 75804, fixed in Go 1.27): the output is a
# bare "context deadline exceeded" and no failing input. That failure, and only that one, gets a
# second run; a second failure of any kind fails the target.
set -uo pipefail
dir=$1 name=$2 fuzztime=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for attempt in 1 2; do
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$dir" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] && exit 0
  if [ "$attempt" -eq 1 ] &&
    grep -qx '[[:space:]]*context deadline exceeded' "$log" &&
    ! grep -q 'Failing input written to' "$log"; then
    echo "=== fuzz $name: the -fuzztime deadline was reported as a failure with no failing input (Go issue 75804); running it again"
    continue
  fi
  exit "$rc"
done
