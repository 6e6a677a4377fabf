#!/usr/bin/env bash
# Benchmark: the resident memory of a running `lavavisor wrap` (the quickstart: file source, local
# binaries, stand-in lavap), checking every 0.2 s, after SECONDS seconds.
# Usage: Benchmarks/memory.sh [BINARY ...]   (default: .build/release/lavavisor)
#        build first: swift build -c release --product lavavisor [--static-swift-stdlib]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_TO_RUN:-5}
[ $# -gt 0 ] || set -- .build/release/lavavisor
printf '%-45s %10s %10s\n' binary "VmRSS MB" "VmHWM MB"
for binary in "$@"; do
  [ -x "$binary" ] || { echo "$binary is not built" >&2; exit 1; }
  store=$(mktemp -d)
  "$binary" wrap --directory "$store" --version-source file --versions-file examples/quickstart/versions.yml \
    --source local --binaries-dir examples/quickstart/bin --auto-download --poll-interval 0.2 \
    --cmd 'lavap rpcprovider examples/quickstart/provider.yml' >/dev/null 2>&1 &
  pid=$!
  sleep "$seconds"
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$store"
  awk -v b="$binary" -v r="$rss" -v h="$hwm" 'BEGIN { printf "%-45s %10.1f %10.1f\n", b, r / 1024, h / 1024 }'
done
