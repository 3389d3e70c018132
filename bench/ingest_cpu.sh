#!/usr/bin/env bash
# Ingest throughput with the server CPU it costs (issue 3): a fresh `roost serve` on a temp data
# dir, `roost bench ingest` against it, then the rate, the server's user+sys CPU per 1M spans and
# its peak RSS. On a shared 2-core machine the rate moves with the neighbours; CPU per span
# moves less. To compare two builds, run them interleaved: A B A B ...
# Usage: bench/ingest_cpu.sh ROOST_BINARY [SPANS=1000000] [ENCODING=protobuf] [RUNS=1]
set -euo pipefail
ROOST=$1
SPANS=${2:-1000000}
ENCODING=${3:-protobuf}
RUNS=${4:-1}
PORT=17230
WORK=$(mktemp -d /tmp/roost-ingest-cpu.XXXXXX)
SERVE=""
cleanup() { [[ -n "$SERVE" ]] && kill "$SERVE" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
TCK=$(getconf CLK_TCK)
for run in $(seq "$RUNS"); do
  rm -rf "$WORK/d"
  "$ROOST" serve --data "$WORK/d" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
  SERVE=$!
  for _ in $(seq 600); do grep -q "roost listening" "$WORK/serve.log" && break; sleep 0.1; done
  grep -q "roost listening" "$WORK/serve.log" || { echo "server did not start" >&2; exit 1; }
  result=$("$ROOST" bench ingest --target "http://127.0.0.1:$PORT" --spans "$SPANS" --batch 512 \
    --encoding "$ENCODING" | grep "spans/s;")
  ticks=$(awk '{print $14+$15}' "/proc/$SERVE/stat")
  hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE/status")
  kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; SERVE=""
  rate=$(echo "$result" | grep -o '[0-9]* spans/s')
  awk -v r="$run" -v rate="$rate" -v t="$ticks" -v hz="$TCK" -v n="$SPANS" -v h="$hwm_kb" 'BEGIN {
    printf "run %d: %s, server CPU %.2f s per 1M spans, peak RSS %.2f GB\n", r, rate,
           t / hz * 1e6 / n, h / 1048576 }'
done
