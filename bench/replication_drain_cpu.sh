#!/usr/bin/env bash
# Backlog drain only, with the CPU it costs (issue 5): SPANS are queued while the stand-in Phoenix
# refuses the key, then the key is fixed (SIGHUP); prints the drain rate and the user+sys CPU the
# server and the sink (`roost bench sink`) spent during the drain, per span. CPU per span is
# steadier than the rate on a shared machine. PERF=1 also records `perf record -g` of the server
# into perf.data (in the current directory).
# Usage: bench/replication_drain_cpu.sh ROOST_BINARY SPANS [PERF] [serve flags, e.g. --replication-nice 0]
set -euo pipefail
ROOST=$1
SPANS=$2
PERF=${3:-0}
shift $(($# < 3 ? $# : 3))
WORK=$(mktemp -d /tmp/roost-drain-cpu.XXXXXX)
SINK_PORT=17200; SERVE_PORT=17206
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo timeout >&2; exit 1; }
pending() { "$ROOST" status --server "http://127.0.0.1:$SERVE_PORT" --json | sed -n 's/.*"pending_spans":\([0-9]*\).*/\1/p'; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }  # clock ticks, user+sys (all threads)
TCK=$(getconf CLK_TCK)
"$ROOST" bench sink --listen "127.0.0.1:$SINK_PORT" --api-key right >"$WORK/sink.log" 2>&1 &
SINK=$!; PIDS+=($SINK)
wait_for "$WORK/sink.log" "sink listening"
echo "PHOENIX_API_KEY=wrong" >"$WORK/phoenix.env"
"$ROOST" serve --data "$WORK/d" --listen "127.0.0.1:$SERVE_PORT" --phoenix-endpoint "http://127.0.0.1:$SINK_PORT" --env-file "$WORK/phoenix.env" "$@" >"$WORK/serve.log" 2>&1 &
SERVE=$!; PIDS+=($SERVE)
wait_for "$WORK/serve.log" "roost listening"
"$ROOST" bench ingest --target "http://127.0.0.1:$SERVE_PORT" --spans "$SPANS" >/dev/null
sleep 2
echo "queued: $(pending)"
echo "PHOENIX_API_KEY=right" >"$WORK/phoenix.env"
s0=$(cpu $SERVE); k0=$(cpu $SINK)
if [ "$PERF" = 1 ]; then perf record -F 999 -g -p $SERVE -o perf.data >/dev/null 2>&1 & PP=$!; sleep 0.5; fi
start=$(date +%s.%N)
kill -HUP "$SERVE"
while [ "$(pending)" != "0" ]; do sleep 0.05; done
end=$(date +%s.%N)
s1=$(cpu $SERVE); k1=$(cpu $SINK)
if [ "$PERF" = 1 ]; then kill -INT $PP; wait $PP || true; fi
awk -v n="$SPANS" -v s="$start" -v e="$end" -v sc=$((s1-s0)) -v kc=$((k1-k0)) -v t="$TCK" \
  'BEGIN { printf "drained %d in %.2f s: %.0f spans/s; server CPU %.2f s (%.2f us/span), sink CPU %.2f s (%.2f us/span)\n", n, e-s, n/(e-s), sc/t, sc/t/n*1e6, kc/t, kc/t/n*1e6 }'
uptime
