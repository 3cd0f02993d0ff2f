#!/usr/bin/env bash
# make bench (part): what metrics cost the webhook. The Chat2Desk webhook's req/s through nginx with the
# responder counting (METRICS on, the default) and not (METRICS=off), in alternating rounds on one stack, so
# drift of the shared machine falls on both sides alike. Appends its own section to bench/RESULTS.md.
# BENCH_METRICS_ROUNDS (default 3) rounds of each, BENCH_METRICS_SECONDS (default 10) s per round.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=var/bench-metrics; BIN=${BENCH_BIN:-.build/release}; OUT=bench/RESULTS.md
ROUNDS=${BENCH_METRICS_ROUNDS:-3}; SECONDS_PER_ROUND=${BENCH_METRICS_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench: wrk is required (apt-get install wrk)"; exit 1; }
responder_pid=""
cleanup() {
  [ -n "$responder_pid" ] && kill -TERM "$responder_pid" 2>/dev/null || true
  scripts/stack.sh stop "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
LOG_LEVEL=warning scripts/stack.sh start "$DIR" "$BIN" test
set -a; source "$DIR/stack.env"; set +a
# The stack's own responder gives way to ours, restarted on the same socket with METRICS on or off.
# Waited for: a responder removes its socket file when it stops, which must not be ours.
stack_responder=$(cat "$DIR/pids/chat2desk.pid"); rm -f "$DIR/pids/chat2desk.pid"
kill -TERM "$stack_responder"; while kill -0 "$stack_responder" 2>/dev/null; do sleep 0.05; done
socket="$DIR/run/chat2desk.sock"
start_responder() { # METRICS value
  [ -n "$responder_pid" ] && { kill -TERM "$responder_pid" 2>/dev/null || true; wait "$responder_pid" 2>/dev/null || true; }
  rm -f "$socket"
  METRICS=$1 CHATBOTS_ENV_FILE="$DIR/stack.env" LOG_LEVEL=warning "$BIN/fcgi-chat2desk" --socket "$socket" \
    >>"$DIR/log/chat2desk-metrics.log" 2>&1 &
  responder_pid=$!
  for _ in $(seq 200); do [ -S "$socket" ] && return 0; sleep 0.05; done
  echo "bench: fcgi-chat2desk did not start"; exit 1
}
secret_lua=$(mktemp); { echo "secret = \"$CHAT2DESK_WEBHOOK_SECRET\""; cat bench/webhook.lua; } >"$secret_lua"
rate() { wrk -t2 -c32 -d"${SECONDS_PER_ROUND}s" -s "$secret_lua" "$STACK_NGINX_URL" -- "$1" 2>&1 | awk '/Requests\/sec/{print $2}'; }
on=(); off=(); offset=0
for round in $(seq "$ROUNDS"); do
  # ABBA: the side that runs first in a round alternates, so an order effect (a fresher Redis, a warmer
  # cache) does not fall on one side only.
  order="on off"; [ $((round % 2)) = 0 ] && order="off on"
  for mode in $order; do
    start_responder "$mode"
    offset=$((offset + 50000000))  # fresh message ids: every request is queued, none a duplicate
    r=$(rate "$offset")
    if [ "$mode" = on ]; then on+=("$r"); else off+=("$r"); fi
    echo "bench: round $round metrics $mode: $r req/s"
  done
  # The queue grows by every request; emptied between rounds so each round starts alike.
  redis-cli -p "$STACK_REDIS_PORT" flushdb >/dev/null
done
summary=$(python3 - "${on[*]}" "${off[*]}" <<'PY'
import statistics, sys
on = [float(x) for x in sys.argv[1].split()]; off = [float(x) for x in sys.argv[2].split()]
m_on, m_off = statistics.median(on), statistics.median(off)
print(f"{m_on:.0f}|{m_off:.0f}|{(1 - m_on / m_off) * 100:+.1f} %|{' '.join(f'{x:.0f}' for x in on)}|{' '.join(f'{x:.0f}' for x in off)}")
PY
)
IFS='|' read -r median_on median_off slower all_on all_off <<<"$summary"
{
  echo
  echo "## Metrics cost — $(date -u '+%Y-%m-%d %H:%M UTC') — $(nproc) cores, $(uname -r)"
  echo
  echo "POST /webhook/chat2desk through nginx (wrk -t2 -c32, ${SECONDS_PER_ROUND} s rounds, $ROUNDS of each side, which side runs first alternating; load average at the start $(cut -d' ' -f1-3 /proc/loadavg); \`bench/metrics_cost.sh\`)."
  echo
  echo "| measurement | result |"
  echo "|---|---|"
  echo "| METRICS on (median req/s; rounds) | $median_on ($all_on) |"
  echo "| METRICS=off (median req/s; rounds) | $median_off ($all_off) |"
  echo "| slower with metrics (target < 5 %) | $slower |"
} | tee -a "$OUT"
