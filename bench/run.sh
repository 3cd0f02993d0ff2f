#!/usr/bin/env bash
# make bench: the webhook against nginx's own `return 200` and against a Node and a Python peer doing the same work
# (bench/peers/), all in one run and in alternating rounds, with where the time goes (CPU per request of each
# process from /proc ticks, syscalls per request from strace); then the drain. Results are appended to
# bench/RESULTS.md with the machine and the date. BENCH_ROUNDS (3) rounds of BENCH_SECONDS (8) per server.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=var/bench; BIN=.build/release; OUT=bench/RESULTS.md
ROUNDS=${BENCH_ROUNDS:-3}; RUN_SECONDS=${BENCH_SECONDS:-8}; VENV=bench/.venv
for tool in wrk node strace "$VENV/bin/uvicorn"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (make bench installs it)"; exit 1; }
done
peer_pids=()
cleanup() {
  for pid in "${peer_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  scripts/stack.sh stop "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
STACK_PG_STAT_STATEMENTS=1 LOG_LEVEL=warning scripts/stack.sh start "$DIR" "$BIN" test
set -a; source "$DIR/stack.env"; set +a
psql -q "$DATABASE_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
STACK_DIR=$(cd "$DIR" && pwd)
env_run() { CHATBOTS_ENV_FILE="$DIR/stack.env" LOG_LEVEL=warning exec "$@"; }  # exec: $! is the job itself
wrkrun() { wrk -t2 -c32 -d"${RUN_SECONDS}s" --latency "$@" 2>&1; }
summ() { awk '/Requests\/sec/{r=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{e=$NF} END{printf "%s req/s, p50 %s, p99 %s, non-2xx %s", r, p50, p99, (e==""?0:e)}'; }
# CPU time (user + system clock ticks) of a set of processes.
ticks() { local t=0 pid; for pid in "$@"; do [ -r "/proc/$pid/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $t; }
# A process and its children. Only this stack's processes: other stacks may run on the same machine.
family() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
nginx_pids() { family "$(cat "$DIR/nginx/nginx.pid")"; }
pg_pids() { family "$(cat "$DIR/pids/postgres.pid")"; }
redis_pid=$(cat "$DIR/pids/redis.pid")

# The peers' server block in the same one-worker nginx (see bench/peers/nginx.conf.template).
BENCH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$DIR/nginx/bench.d"
sed -e "s#@VAR@#$STACK_DIR#g" -e "s#@BENCH_PORT@#$BENCH_PORT#g" -e "s#@KEEPALIVE@#$((FCGI_THREADS / 2))#g" \
  bench/peers/nginx.conf.template >"$DIR/nginx/bench.d/peers.conf"
nginx -p "$DIR/nginx" -c "$STACK_DIR/nginx/nginx.conf" -s reload
BENCH_URL=http://127.0.0.1:$BENCH_PORT
for _ in $(seq 100); do curl -sf "$BENCH_URL/bench/static200" >/dev/null && break; sleep 0.1; done
spec=$STACK_DIR/run/peer-spec.json
(env_run "$BIN/botctl" bench-peer-spec) >"$spec"
rm -f "$DIR/run/peer-node.sock" "$DIR/run/peer-python.sock" "$DIR/run/chat2desk-group-commit.sock"
# A second responder whose threads share one pipelined Redis connection (group commit), for the comparison.
(env_run "$BIN/fcgi-chat2desk" --socket "$STACK_DIR/run/chat2desk-group-commit.sock" --redis-group-commit) \
  >>"$DIR/log/chat2desk-group-commit.log" 2>&1 & groupcommit_pid=$!
peer_pids+=("$groupcommit_pid")
PEER_SPEC=$spec PEER_SOCKET=$STACK_DIR/run/peer-node.sock PEER_REDIS_SOCKET=$STACK_DIR/run/redis.sock \
  NODE_PATH=/usr/share/nodejs node bench/peers/node/server.js >"$DIR/log/peer-node.log" 2>&1 & node_pid=$!
peer_pids+=("$node_pid")
PEER_SPEC=$spec PEER_REDIS_SOCKET=$STACK_DIR/run/redis.sock "$VENV/bin/uvicorn" app:app --app-dir bench/peers/python \
  --uds "$STACK_DIR/run/peer-python.sock" --workers "$(nproc)" --loop uvloop --http httptools --no-access-log \
  --log-level warning >"$DIR/log/peer-python.log" 2>&1 & python_pid=$!
peer_pids+=("$python_pid")
for _ in $(seq 200); do
  [ -S "$DIR/run/peer-node.sock" ] && [ -S "$DIR/run/peer-python.sock" ] && [ -S "$DIR/run/chat2desk-group-commit.sock" ] && break
  sleep 0.1
done
sleep 1  # every worker listening
python3 bench/peers/check.py "$BENCH_URL" "$CHAT2DESK_WEBHOOK_SECRET" "$STACK_REDIS_PORT" "" /keepconn /groupcommit /node /python

# name, wrk path prefix ("-" for nginx's return 200), the server's processes
servers=(nginx project keepconn groupcommit node python)
declare -A prefix=([nginx]=- [project]="" [keepconn]=/keepconn [groupcommit]=/groupcommit [node]=/node [python]=/python)
server_pids() {
  case $1 in
    nginx) echo "" ;;
    project | keepconn) cat "$DIR/pids/chat2desk.pid" ;;
    groupcommit) echo "$groupcommit_pid" ;;
    node) family "$node_pid" ;;
    python) family "$python_pid" ;;
  esac
}
webhook_lua() { # name → its wrk script file (the bench body with the secret and the server's path prefix)
  local f=$DIR/wrk-$1.lua
  { echo "secret = \"$CHAT2DESK_WEBHOOK_SECRET\""; echo "prefix = \"${prefix[$1]}\""; cat bench/webhook.lua; } >"$f"; echo "$f"
}
wrk_server() { # name offset extra-wrk-args...
  local name=$1 offset=$2; shift 2
  if [ "${prefix[$name]}" = - ]; then wrkrun "$@" "$BENCH_URL/bench/static200"
  else wrkrun "$@" -s "$(webhook_lua "$name")" "$BENCH_URL" -- "$offset"; fi
}

# Alternating rounds: every server once per round, so a load change on the shared machine hits all of them.
# BENCH_APPENDFSYNC=everysec measures the rounds without the disk's fsync in the way (CPU-bound), not the default.
rounds_fsync=${BENCH_APPENDFSYNC:-${REDIS_APPENDFSYNC:-always}}
redis-cli -p "$STACK_REDIS_PORT" config set appendfsync "$rounds_fsync" >/dev/null
runs=$DIR/webhook-runs.tsv; : >"$runs"
offset=0
for round in $(seq "$ROUNDS"); do
  for name in "${servers[@]}"; do
    offset=$((offset + 1000000))  # fresh message ids: nothing is de-duplicated away
    pids=$(server_pids "$name")
    n0=$(ticks $(nginx_pids)); s0=$(ticks $pids); r0=$(ticks "$redis_pid")
    result=$(wrk_server "$name" "$offset")
    n1=$(ticks $(nginx_pids)); s1=$(ticks $pids); r1=$(ticks "$redis_pid")
    echo "$result" | awk -v round="$round" -v name="$name" -v n=$((n1 - n0)) -v s=$((s1 - s0)) -v r=$((r1 - r0)) '
      function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
      /requests in/ {req=$1} /Requests\/sec/ {rps=$2} /^ +99%/ {p99=ms($2)} /Non-2xx/ {bad=$NF}
      END {printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", round, name, rps, p99, req, bad, n, s, r}' >>"$runs"
    tail -1 "$runs" | awk -F'\t' '{printf "bench: round %s %-8s %9.0f req/s  p99 %7.2f ms  non-2xx %d\n", $1, $2, $3, $4, $6}'
  done
done

# Syscalls per request: a short run of each server with strace -c -f on nginx, the server and Redis at once
# (strace slows everything; the counts per request are what it is for).
syscalls=$DIR/syscalls.tsv; : >"$syscalls"
strace_calls() { awk '$NF == "total" {print $4}' "$1" 2>/dev/null || echo 0; }
for name in project keepconn groupcommit node python; do
  offset=$((offset + 1000000))
  tracers=()
  for group in nginx server redis; do
    case $group in nginx) pids=$(nginx_pids) ;; server) pids=$(server_pids "$name") ;; redis) pids=$redis_pid ;; esac
    strace -c -f -o "$DIR/strace-$name-$group.txt" $(for p in $pids; do echo "-p $p"; done) 2>/dev/null & tracers+=($!)
  done
  sleep 1
  requests=$(RUN_SECONDS=3 wrk_server "$name" "$offset" | awk '/requests in/ {print $1}')
  for pid in "${tracers[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${tracers[@]}"; do wait "$pid" 2>/dev/null || true; done
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$requests" "$(strace_calls "$DIR/strace-$name-nginx.txt")" \
    "$(strace_calls "$DIR/strace-$name-server.txt")" "$(strace_calls "$DIR/strace-$name-redis.txt")" >>"$syscalls"
done
redis-cli -p "$STACK_REDIS_PORT" config set appendfsync "${REDIS_APPENDFSYNC:-always}" >/dev/null
responder_rss=$(grep VmHWM "/proc/$(cat "$DIR/pids/chat2desk.pid")/status" | awk '{printf "%.1f MiB", $2/1024}')
webhook_table=$(echo "Webhook, wrk -t2 -c32, $ROUNDS alternating rounds of $RUN_SECONDS s, Redis appendfsync $rounds_fsync, \
$FCGI_THREADS FastCGI threads:"; echo; python3 bench/peers/summary.py "$runs" "$syscalls" "$(getconf CLK_TCK)")
echo "$webhook_table"
for pid in "${peer_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done

# The drain's backlog as before the peers came: one webhook run with appendfsync always, one with everysec (the
# trade-off: up to ~1 s of acknowledged webhooks can be lost if the Redis host crashes), on an emptied Redis.
redis-cli -p "$STACK_REDIS_PORT" flushdb >/dev/null
RUN_SECONDS=10
static=$(wrk_server nginx 0 | summ)
webhook=$(wrk_server project 50000000 | summ)
ratio=$(python3 -c "a=float('${static%% *}'); b=float('${webhook%% *}'); print(f'{b/a:.2f}')")
redis-cli -p "$STACK_REDIS_PORT" config set appendfsync everysec >/dev/null
webhook_everysec=$(wrk_server project 60000000 | summ)
redis-cli -p "$STACK_REDIS_PORT" config set appendfsync "${REDIS_APPENDFSYNC:-always}" >/dev/null
ratio_everysec=$(python3 -c "a=float('${static%% *}'); b=float('${webhook_everysec%% *}'); print(f'{b/a:.2f}')")
queued=$(redis-cli -p "$STACK_REDIS_PORT" get 'q:{shoro}:depth')
# Drain throughput: every queued webhook above is a dialog step (first message of 1000 clients, then
# re-prompts), processed with replies delivered to nginx's Chat2Desk stand-in (/bench/chat2desk answers like
# Chat2Desk; the Python fake tops out near 2k requests/s and would measure itself). With a backlog each worker
# claims up to DRAIN_BATCH_SIZE (default 16) conversations in one Redis call and steps them in one PostgreSQL
# transaction; workers still wait on round trips (the AOF fsync of each ack+claim, the HTTP replies), so more
# workers than cores pay off. The rate limit is raised out of the way (the production default is 300/min).
workers=${BENCH_DRAIN_WORKERS:-8}
batch=${DRAIN_BATCH_SIZE:-16}  # the drain's default unless the caller exported another
redis-cli -p "$STACK_REDIS_PORT" del 'rl:{chat2desk}' >/dev/null
# CPU per step: steps/s moves with whatever else the shared machine runs, CPU per step much less, and it says
# which process to work on.
pg0=$(ticks $(pg_pids)); redis0=$(ticks "$redis_pid"); nginx0=$(ticks $(nginx_pids))
psql -qtA "$DATABASE_URL" -c "SELECT pg_stat_statements_reset()" >/dev/null
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
# Where PostgreSQL's share goes: each statement's calls and execution time per step. The time is wall-clock inside
# PostgreSQL (on 2 shared cores it includes waiting for a CPU), so read it as shares, next to the CPU figures above.
statements=$(psql -qtA -F $'\t' "$DATABASE_URL" -c "
  SELECT round(calls::numeric / $queued, 2), round((total_exec_time * 1000 / $queued)::numeric, 1),
    round(100 * total_exec_time / sum(total_exec_time) OVER ()), left(regexp_replace(query, '\s+', ' ', 'g'), 90)
  FROM pg_stat_statements WHERE calls >= $queued / 100 ORDER BY total_exec_time DESC LIMIT 12" |
  awk -F'\t' '{gsub(/\|/, "\\|", $4); printf "| %s | %s µs | %s %% | `%s…` |\n", $1, $2, $3, $4}')
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
  echo "$webhook_table"
  echo
  echo "| measurement | result |"
  echo "|---|---|"
  echo "| nginx \`return 200\` (reference, wrk -t2 -c32 10 s) | $static |"
  echo "| POST /webhook/chat2desk through nginx → responder → Redis | $webhook |"
  echo "| ratio webhook / nginx reference | $ratio (target ≥ 0.30) |"
  echo "| same webhook run with Redis appendfsync everysec (not the default) | $webhook_everysec → ratio $ratio_everysec |"
  echo "| drain: $queued dialog steps (PostgreSQL transaction + reply to nginx's Chat2Desk stand-in), $workers workers, batches of up to $batch | $steps steps/s (target ≥ 3000) |"
  echo "| drain CPU per step (all processes; target ≤ 400 µs) | $cpu |"
  echo "| reply latency, webhook accepted → fake Chat2Desk got the reply, 100 msg/s for 10 s | $latency |"
  echo "| peak RSS (VmHWM) responder after load / drainer | $responder_rss / $drain_rss |"
  echo
  echo "The drain's PostgreSQL statements (pg_stat_statements, per dialog step; execution time is wall-clock):"
  echo
  echo "| calls per step | execution per step | share | statement |"
  echo "|---|---|---|---|"
  echo "$statements"
} | tee -a "$OUT"
