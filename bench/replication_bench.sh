#!/usr/bin/env bash
# Replication benchmarks (issue 5), on a release build:
#   1. backlog drain: N spans queued while the stand-in Phoenix (`roost bench sink`) refuses the
#      key, then the key is fixed with SIGHUP; drain rate = N / time until nothing is pending.
#   2. ingest throughput with replication off and on (`roost bench ingest`, same N).
# Usage: bench/replication_bench.sh [ROOST_BINARY] [SPANS]   (run on a quiet machine)
set -euo pipefail

ROOST=${1:-build/release/tools/roost}
SPANS=${2:-1000000}
WORK=$(mktemp -d /tmp/roost-repl-bench.XXXXXX)
SINK_PORT=17100
SERVE_PORT=17106
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for() {  # wait_for FILE TEXT: until FILE holds TEXT (60 s at most)
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2
  exit 1
}

pending() {
  "$ROOST" status --server "http://127.0.0.1:$SERVE_PORT" --json |
    sed -n 's/.*"pending_spans":\([0-9]*\).*/\1/p'
}

serve() {  # serve DATA_DIR [replication flags...]: starts roost serve in the background
  local data=$1
  shift
  "$ROOST" serve --data "$data" --listen "127.0.0.1:$SERVE_PORT" "$@" >"$data.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  wait_for "$data.log" "roost listening"
}

stop_serve() {
  kill "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
}

"$ROOST" bench sink --listen "127.0.0.1:$SINK_PORT" --api-key right >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/sink.log" "sink listening"

echo "== 1. backlog drain of $SPANS spans"
echo "PHOENIX_API_KEY=wrong" >"$WORK/phoenix.env"
serve "$WORK/drain" --phoenix-endpoint "http://127.0.0.1:$SINK_PORT" --env-file "$WORK/phoenix.env"
"$ROOST" bench ingest --target "http://127.0.0.1:$SERVE_PORT" --spans "$SPANS" >/dev/null
echo "queued: $(pending) spans"
echo "PHOENIX_API_KEY=right" >"$WORK/phoenix.env"
start=$(date +%s.%N)
kill -HUP "$SERVE_PID"
while [ "$(pending)" != "0" ]; do sleep 0.05; done
end=$(date +%s.%N)
awk -v n="$SPANS" -v s="$start" -v e="$end" \
  'BEGIN { printf "drained %d spans in %.2f s: %.0f spans/s\n", n, e - s, n / (e - s) }'
stop_serve

echo "== 2. ingest with replication off"
serve "$WORK/off"
"$ROOST" bench ingest --target "http://127.0.0.1:$SERVE_PORT" --spans "$SPANS" | tail -n 4
stop_serve

echo "== 2. ingest with replication on (to the sink)"
echo "PHOENIX_API_KEY=right" >"$WORK/phoenix.env"
serve "$WORK/on" --phoenix-endpoint "http://127.0.0.1:$SINK_PORT" --env-file "$WORK/phoenix.env"
"$ROOST" bench ingest --target "http://127.0.0.1:$SERVE_PORT" --spans "$SPANS" | tail -n 4
echo "pending right after: $(pending) spans"
stop_serve
