#!/usr/bin/env bash
# `make run`: the whole service on loopback, in the foreground. Data lives under ./var/run.
# External APIs go to local fakes that record every call (sandbox mode). Ctrl-C stops every
# process started here, by PID, and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=var/run
BIN=.build/release
# A process's children, grandchildren and so on.
descendants() { local child; for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done; }
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  # Each loop first (so it starts nothing new), then the job it is running: Ctrl-C in a terminal reaches the jobs
  # anyway, but a SIGTERM to this script alone would leave a running job working on for up to a minute.
  for pid in "${LOOPS[@]:-}"; do
    [ -n "$pid" ] || continue
    jobs_running=$(descendants "$pid")
    kill "$pid" 2>/dev/null || true
    [ -n "$jobs_running" ] && kill $jobs_running 2>/dev/null || true
  done
  wait 2>/dev/null || true
  scripts/stack.sh stop "$DIR" || true
  echo "stopped."
}
LOOPS=()
trap cleanup INT TERM EXIT
scripts/stack.sh start "$DIR" "$BIN" run
set -a; source "$DIR/stack.env"; set +a
# Stands in for cron: each job restarts when it finishes, under the same flock the crontab uses.
for job in cron-drain cron-outbox cron-due-jobs cron-sheets-sync; do
  ( while true; do CHATBOTS_ENV_FILE="$DIR/stack.env" flock -n "$DIR/run/$job.lock" "$BIN/$job" >>"$DIR/log/$job.log" 2>&1 || sleep 1; done ) &
  LOOPS+=($!)
done
cat <<MSG

  chatbots is running (sandbox: Chat2Desk calls go to a local fake at $CHAT2DESK_API_URL)

    $STACK_NGINX_URL/          service, version, bots, routes
    $STACK_NGINX_URL/health    dependencies and queue depths
    $STACK_OPS_URL        operators' dashboard: user $STACK_OPS_USER, password $STACK_OPS_PASSWORD (made for this run)

  Talk to the Shoro bot as a customer (another terminal):
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl chat shoro
  Orders, status, funnels and dead letters:
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl orders
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl status
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl stats --since 24h
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl dlq list

  Send a Tilda form as a parent would, then watch the lead and its email chain
  (emails go to the fake Resend at $RESEND_API_URL/_fake/emails):
    curl -d 'Name=Anna&Email=anna@example.com&Phone=+79990001122&tranid=demo1' "$STACK_NGINX_URL/webhook/tilda?token=$TILDA_WEBHOOK_SECRET"
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl leads
    CHATBOTS_ENV_FILE=$DIR/stack.env $BIN/botctl jobs

  Logs: $DIR/log/   Ctrl-C stops everything started here.
MSG
wait
