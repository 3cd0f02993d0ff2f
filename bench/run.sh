#!/usr/bin/env bash
# make bench: the numbers issue #3 asks for, each against a reference measured in the same run.
# Results are appended to bench/RESULTS.md with the machine and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=var/bench; BIN=.build/release; OUT=bench/RESULTS.md
command -v wrk >/dev/null || { echo "bench: wrk is required (apt-get install wrk)"; exit 1; }
trap 'scripts/stack.sh stop "$DIR" >/dev/null 2>&1 || true' EXIT
LOG_LEVEL=warning scripts/stack.sh start "$DIR" "$BIN" test
set -a; source "$DIR/stack.env"; set +a
env_run() { CHATBOTS_ENV_FILE="$DIR/stack.env" LOG_LEVEL=warning exec "$@"; }  # exec: $! is the job itself
wrkrun() { wrk -t2 -c32 -d10s --latency "$@" 2>&1; }
summ() { awk '/Requests\/sec/{r=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{e=$NF} END{printf "%s req/s, p50 %s, p99 %s, non-2xx %s", r, p50, p99, (e==""?0:e)}'; }

static=$(wrkrun "$STACK_NGINX_URL/bench/static200" | summ)
secret_lua=$(mktemp); { echo "secret = \"$CHAT2DESK_WEBHOOK_SECRET\""; cat bench/webhook.lua; } >"$secret_lua"
webhook=$(wrkrun -s "$secret_lua" "$STACK_NGINX_URL" | summ)
ratio=$(python3 -c "import sys; a=float('${static%% *}'); b=float('${webhook%% *}'); print(f'{b/a:.2f}')")
# The same with Redis fsyncing its AOF once a second instead of before every reply (the trade-off: up to
# ~1 s of acknowledged webhooks can be lost if the Redis host crashes). Fresh message ids; then back to the default.
redis-cli -p "$STACK_REDIS_PORT" config set appendfsync everysec >/dev/null
webhook_everysec=$(wrkrun -s "$secret_lua" "$STACK_NGINX_URL" -- 50000000 | summ)
redis-cli -p "$STACK_REDIS_PORT" config set appendfsync "${REDIS_APPENDFSYNC:-always}" >/dev/null
ratio_everysec=$(python3 -c "import sys; a=float('${static%% *}'); b=float('${webhook_everysec%% *}'); print(f'{b/a:.2f}')")
queued=$(redis-cli -p "$STACK_REDIS_PORT" get 'q:{shoro}:depth')
responder_rss=$(grep VmHWM "/proc/$(cat "$DIR/pids/chat2desk.pid")/status" | awk '{print $2/1024 " MiB"}')

# Drain throughput: every queued webhook above is a dialog step (first message of 1000 clients, then
# re-prompts), processed with replies delivered to nginx's Chat2Desk stand-in (/bench/chat2desk answers like
# Chat2Desk; the Python fake tops out near 2k requests/s and would measure itself). With a backlog each worker
# claims up to DRAIN_BATCH_SIZE (default 8) conversations in one Redis call and steps them in one PostgreSQL
# transaction; workers still wait on round trips (the AOF fsync of each ack+claim, the HTTP replies), so more
# workers than cores pay off. The rate limit is raised out of the way (the production default is 300/min).
workers=${BENCH_DRAIN_WORKERS:-8}
batch=${DRAIN_BATCH_SIZE:-8}  # the drain's default unless the caller exported another
redis-cli -p "$STACK_REDIS_PORT" del 'rl:{chat2desk}' >/dev/null
# CPU time (user + system clock ticks) of a set of processes: steps/s moves with whatever else the shared
# machine runs, CPU per step much less, and it says which process to work on.
ticks() { local t=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $t; }
pg_pids() { pgrep -u postgres -x postgres | tr '\n' ' '; }
nginx_pids() { pgrep -x nginx | tr '\n' ' '; }
redis_pid=$(cat "$DIR/pids/redis.pid")
pg0=$(ticks $(pg_pids)); redis0=$(ticks "$redis_pid"); nginx0=$(ticks $(nginx_pids))
start=$(date +%s.%N)
(CHAT2DESK_API_URL="$STACK_NGINX_URL/bench/chat2desk" CHAT2DESK_RATE_LIMIT_PER_MINUTE=${RL:-1000000} \
  env_run "$BIN/cron-drain" --seconds 600 --concurrency "$workers") & dpid=$!
while [ "$(redis-cli -p "$STACK_REDIS_PORT" get "q:{shoro}:depth")" != 0 ]; do kill -0 $dpid 2>/dev/null || { echo "bench: drain died"; exit 1; }; sleep 0.2; done
end=$(date +%s.%N)
cpu=$(python3 -c "
hz = $(getconf CLK_TCK); n = $queued
parts = {'drain': $(ticks "$dpid"), 'PostgreSQL': $(ticks $(pg_pids)) - $pg0, 'Redis': $(ticks "$redis_pid") - $redis0, 'nginx': $(ticks $(nginx_pids)) - $nginx0}
total = sum(parts.values())
print(f'{total / hz / n * 1e6:.0f} µs (' + ', '.join(f'{k} {v / hz / n * 1e6:.0f}' for k, v in parts.items()) + ')')")
drain_rss=$(grep VmHWM "/proc/$dpid/status" | awk '{print $2/1024 " MiB"}')
kill -TERM $dpid; wait $dpid || true
steps=$(python3 -c "print(f'{$queued/($end-$start):.0f}')")

# Reply latency at a fixed 100 messages/s with a drain running (default concurrency), replies to the Python fake.
(CHAT2DESK_RATE_LIMIT_PER_MINUTE=${RL:-1000000} env_run "$BIN/cron-drain" --seconds 30) & dpid=$!
curl -s -XDELETE "$CHAT2DESK_API_URL/_fake/calls" >/dev/null
latency=$(python3 bench/latency.py "$STACK_NGINX_URL" "$CHAT2DESK_WEBHOOK_SECRET" "$CHAT2DESK_API_URL" 100 10)
kill -TERM $dpid; wait $dpid || true

{
  echo
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r), Redis appendfsync ${REDIS_APPENDFSYNC:-always}"
  echo
  echo "| measurement | result |"
  echo "|---|---|"
  echo "| nginx \`return 200\` (reference, wrk -t2 -c32 10 s) | $static |"
  echo "| POST /webhook/chat2desk through nginx → responder → Redis | $webhook |"
  echo "| ratio webhook / nginx reference | $ratio (target ≥ 0.30) |"
  echo "| same webhook run with Redis appendfsync everysec (not the default) | $webhook_everysec → ratio $ratio_everysec |"
  echo "| drain: $queued dialog steps (PostgreSQL transaction + reply to nginx's Chat2Desk stand-in), $workers workers, batches of up to $batch | $steps steps/s (target ≥ 3000) |"
  echo "| drain CPU per step (all processes; ≤ 667 µs is what 3,000 steps/s on 2 cores allows) | $cpu |"
  echo "| reply latency, webhook accepted → fake Chat2Desk got the reply, 100 msg/s for 10 s | $latency |"
  echo "| peak RSS (VmHWM) responder after load / drainer | $responder_rss / $drain_rss |"
} | tee -a "$OUT"
