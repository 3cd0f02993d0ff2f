#!/usr/bin/env bash
# Starts and stops the local stack (PostgreSQL, Redis, fakes, FastCGI responders, nginx) on
# loopback with every file under one directory. Used by `make run` and `make test`.
#
#   scripts/stack.sh start DIR BIN_DIR [run|test]   start everything; writes DIR/stack.env
#   scripts/stack.sh stop DIR                       stop every process started here (by PID), nothing else
#   scripts/stack.sh redis-stop DIR | redis-start DIR | redis-kill DIR | pg-stop DIR | pg-start DIR
#
# STACK_PG_STAT_STATEMENTS=1 loads pg_stat_statements into PostgreSQL (the bench's statement breakdown).
#
# Ports are free loopback ports picked at start; DIR/stack.env lists them for tests and tools.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: stack.sh start|stop DIR ...}
DIR=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
PIDS=$DIR/pids
mkdir -p "$PIDS" "$DIR/log" "$DIR/run"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
log() { echo "stack: $*" >&2; }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# PostgreSQL refuses to run as root: as root it runs as the `postgres` system user, whose
# access to DIR is checked; if an ancestor directory is closed to it (a clone under /root),
# the cluster lives under /var/tmp instead and DIR/pg points there.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_dir() {
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$DIR" 2>/dev/null; then echo "$DIR/pg"; return; fi
  local alt="/var/tmp/chatbots-pg-$(echo "$DIR" | md5sum | cut -c1-12)"
  mkdir -p "$alt"; ln -sfn "$alt" "$DIR/pg.link"; echo "$alt"
}

start_pg() {
  local pgdir; pgdir=$(pg_dir)
  mkdir -p "$pgdir/sock"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$pgdir"
  if [ ! -f "$pgdir/data/PG_VERSION" ]; then
    as_pg "$PG_BIN/initdb" -D "$pgdir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$DIR/log/initdb.log" 2>&1 \
      || { cat "$DIR/log/initdb.log" >&2; exit 1; }
  fi
  local extra=""
  [ "$MODE" = test ] && extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  # `make bench` reads where the drain's PostgreSQL time goes from pg_stat_statements (Debian's postgresql ships it).
  [ -n "${STACK_PG_STAT_STATEMENTS:-}" ] && extra="$extra -c shared_preload_libraries=pg_stat_statements"
  as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgres.log" -w -t 30 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$pgdir/sock -c max_connections=300 $extra" >/dev/null
  as_pg cat "$pgdir/data/postmaster.pid" | head -1 >"$PIDS/postgres.pid"
  echo "$pgdir" >"$DIR/pg.path"
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='chatbots'" | grep -q 1 \
    || psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE chatbots"
}

stop_pg() {
  local pgdir; pgdir=$(cat "$DIR/pg.path" 2>/dev/null) || return 0
  [ -f "$pgdir/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -f "$PIDS/postgres.pid"
}

start_redis() {
  mkdir -p "$DIR/redis"
  # AOF with fsync on every write, and no eviction: a webhook acknowledged with 200 survives even kill -9 of Redis.
  # The responders check these three settings at start-up (REDIS_APPENDFSYNC=everysec needs REDIS_ALLOW_NON_DURABLE).
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" --daemonize yes \
    --unixsocket "$DIR/run/redis.sock" --unixsocketperm 700 \
    --pidfile "$PIDS/redis.pid" --logfile "$DIR/log/redis.log" --save "" \
    --appendonly yes --appendfsync "${REDIS_APPENDFSYNC:-always}" --maxmemory-policy noeviction --protected-mode yes
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  log "redis did not start"; cat "$DIR/log/redis.log" >&2; exit 1
}

kill_pidfile() { # name signal
  local f="$PIDS/$1.pid"; [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f"); kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$f"
}

start_fake() { # name script args...
  local name=$1 script=$2; shift 2
  rm -f "$DIR/run/$name.port"
  python3 "$ROOT/fakes/$script" --port 0 --port-file "$DIR/run/$name.port" "$@" >"$DIR/log/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
  for _ in $(seq 100); do [ -s "$DIR/run/$name.port" ] && return 0; sleep 0.05; done
  log "fake $name did not start"; cat "$DIR/log/$name.log" >&2; exit 1
}

start_responder() { # name product
  local name=$1 product=$2
  rm -f "$DIR/run/$name.sock"
  CHATBOTS_ENV_FILE="$DIR/stack.env" "$BIN/$product" --socket "$DIR/run/$name.sock" >>"$DIR/log/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
  for _ in $(seq 200); do [ -S "$DIR/run/$name.sock" ] && return 0; sleep 0.05; done
  log "responder $name did not start"; cat "$DIR/log/$name.log" >&2; exit 1
}

start_nginx() {
  mkdir -p "$DIR/nginx/tmp"
  local user="" ; [ "$(id -u)" = 0 ] && user="user root root;"   # workers must reach sockets under DIR wherever it is
  sed -e "s#@VAR@#$DIR#g" -e "s#@PORT@#$NGINX_PORT#g" -e "s#@USER@#$user#g" "$ROOT/nginx/local.conf.template" >"$DIR/nginx/nginx.conf"
  sed -e "s#/run/chatbots/#$DIR/run/#g" -e "s#/etc/chatbots/#$DIR/run/#g" "$ROOT/nginx/chatbots-locations.conf" >"$DIR/nginx/chatbots-locations.conf"
  nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log"
  for _ in $(seq 100); do [ -s "$DIR/nginx/nginx.pid" ] && break; sleep 0.05; done
  cp "$DIR/nginx/nginx.pid" "$PIDS/nginx.pid"
}

# The /ops/ dashboard locally: loopback on the allow-list, user `ops` with a password made at each start (printed by
# `make run`, in stack.env for the tests), and a CSRF secret of its own. Production keeps these in /etc/chatbots.
write_ops_access() {
  OPS_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
  OPS_CSRF_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  echo "allow 127.0.0.1;" >"$DIR/run/ops-allow.conf"
  printf 'ops:%s\n' "$(openssl passwd -apr1 "$OPS_PASSWORD")" >"$DIR/run/ops.htpasswd"
  chmod 600 "$DIR/run/ops.htpasswd"
}

write_env() {
  cat >"$DIR/stack.env" <<ENV
# Written by scripts/stack.sh for the local $MODE stack; not for production.
DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/chatbots
REDIS_URL=unix://$DIR/run/redis.sock
REDIS_ALLOW_NON_DURABLE=$([ "${REDIS_APPENDFSYNC:-always}" = always ] && echo false || echo true)
LOG_LEVEL=${LOG_LEVEL:-info}
TEXTS_DIR=$ROOT/resources/texts
SHORO_ENABLED=true
CHAT2DESK_API_URL=http://127.0.0.1:$C2D_PORT
CHAT2DESK_TOKEN=sandbox-chat2desk-token
CHAT2DESK_WEBHOOK_SECRET=sandbox-webhook-secret-0123456789
FCGI_THREADS=${FCGI_THREADS:-32}
STACK_NGINX_URL=http://127.0.0.1:$NGINX_PORT
PUBLIC_BASE_URL=http://127.0.0.1:$NGINX_PORT
STACK_DIR=$DIR
STACK_BIN_DIR=$BIN
STACK_ROOT=$ROOT
STACK_PG_PORT=$PG_PORT
STACK_REDIS_PORT=$REDIS_PORT
# Google (fake): throwaway key generated at start, never committed.
GOOGLE_SERVICE_ACCOUNT_FILE=$DIR/run/google-sa.json
GOOGLE_TOKEN_URL=http://127.0.0.1:$GOOGLE_PORT/token
GOOGLE_SHEETS_API_URL=http://127.0.0.1:$GOOGLE_PORT
GOOGLE_SHEETS_SPREADSHEET_ID=sandbox-spreadsheet
GOOGLE_CALENDAR_API_URL=http://127.0.0.1:$GOOGLE_PORT/calendar/v3
GOOGLE_CALENDAR_ID=sandbox-calendar@group.calendar.google.com
STACK_FAKE_GOOGLE_URL=http://127.0.0.1:$GOOGLE_PORT
OPS_CSRF_SECRET=$OPS_CSRF_SECRET
STACK_OPS_URL=http://127.0.0.1:$NGINX_PORT/ops/
STACK_OPS_USER=ops
STACK_OPS_PASSWORD=$OPS_PASSWORD
ENV
}

# Fakes of Resend, Telegram, Zoom and OpenAI with sandbox credentials; their URLs go to stack.env.
SANDBOX_RESEND_KEY=re_sandbox_0123456789abcdef
SANDBOX_TG_TOKEN=123456789:ABCdefGhIJKlmNoPQRstuVWXyz-sandbox01
start_api_fakes() {
  start_fake fake-resend resend.py --api-key "$SANDBOX_RESEND_KEY"
  start_fake fake-telegram telegram.py --token "$SANDBOX_TG_TOKEN" --allow-insecure-webhook
  start_fake fake-zoom zoom.py --account-id sandbox-zoom-account --client-id sandbox-zoom-client --client-secret sandbox-zoom-secret
  start_fake fake-openai openai.py --api-key sk-sandbox-openai-0123456789
}
fake_url() { echo "http://127.0.0.1:$(cat "$DIR/run/fake-$1.port")"; }
write_api_fakes_env() {
  cat >>"$DIR/stack.env" <<ENV
RESEND_API_URL=$(fake_url resend)
RESEND_API_KEY=$SANDBOX_RESEND_KEY
TELEGRAM_API_URL=$(fake_url telegram)
TELEGRAM_BOT_TOKEN=$SANDBOX_TG_TOKEN
TELEGRAM_WEBHOOK_SECRET=sandbox-telegram-secret_0123456789
ZOOM_OAUTH_URL=$(fake_url zoom)
ZOOM_API_URL=$(fake_url zoom)
ZOOM_ACCOUNT_ID=sandbox-zoom-account
ZOOM_CLIENT_ID=sandbox-zoom-client
ZOOM_CLIENT_SECRET=sandbox-zoom-secret
OPENAI_API_URL=$(fake_url openai)
OPENAI_API_KEY=sk-sandbox-openai-0123456789
STACK_FAKE_RESEND_URL=$(fake_url resend)
STACK_FAKE_TELEGRAM_URL=$(fake_url telegram)
STACK_FAKE_ZOOM_URL=$(fake_url zoom)
STACK_FAKE_OPENAI_URL=$(fake_url openai)
ENV
}

write_academy_env() { # the Academy bot in sandbox mode (its providers are the fakes above)
  cat >>"$DIR/stack.env" <<ENV
ACADEMY_ENABLED=true
TILDA_WEBHOOK_SECRET=sandbox-tilda-secret-0123456789
EMAIL_FROM="All In Academy <academy@sandbox.example>"
EMAIL_TEMPLATES_DIR=$ROOT/resources/emails
AI_SYSTEM_PROMPT_FILE=$ROOT/resources/ai/system_prompt.txt
TELEGRAM_BOT_USERNAME=AllInAcademySandboxBot
MANAGER_TELEGRAM_CHAT_ID=900000001
MANAGER_EMAIL=manager@sandbox.example
ACADEMY_MANAGER_LINK=https://t.me/academy_sandbox_manager
ACADEMY_WELCOME_VIDEO_NOTE=sandbox-welcome-video-note
ENV
}

case "$cmd" in
  start)
    BIN=$(cd "${3:?BIN_DIR}" && pwd); MODE=${4:-test}
    "$0" stop "$DIR" 2>/dev/null || true
    if [ "$MODE" = test ]; then   # a test run starts from empty servers
      rm -rf "$DIR/redis" "$DIR/log" "$DIR/run" "$(cat "$DIR/pg.path" 2>/dev/null || echo "$DIR/pg")" "$DIR/pg.path"; mkdir -p "$DIR/log" "$DIR/run"
    fi
    PG_PORT=$(free_port); REDIS_PORT=$(free_port); NGINX_PORT=$(free_port)
    # Like the real desk, the fake posts outbox hooks (the bot's echoes, operators' messages) and close_dialog
    # hooks to the bot's webhook.
    start_fake fake-chat2desk chat2desk.py --token sandbox-chat2desk-token \
      --webhook-url "http://127.0.0.1:$NGINX_PORT/webhook/chat2desk/sandbox-webhook-secret-0123456789"
    C2D_PORT=$(cat "$DIR/run/fake-chat2desk.port")
    start_api_fakes
    python3 "$ROOT/fakes/google.py" keygen "$DIR/run/google-sa.json"
    start_fake fake-google google.py --service-account "$DIR/run/google-sa.json" \
      --spreadsheet sandbox-spreadsheet --calendar sandbox-calendar@group.calendar.google.com
    GOOGLE_PORT=$(cat "$DIR/run/fake-google.port")
    start_pg; start_redis
    write_ops_access; write_env; write_api_fakes_env; write_academy_env
    CHATBOTS_ENV_FILE="$DIR/stack.env" "$BIN/botctl" migrate >>"$DIR/log/migrate.log" 2>&1 \
      || { cat "$DIR/log/migrate.log" >&2; exit 1; }
    start_responder health fcgi-health
    start_responder chat2desk fcgi-chat2desk
    start_responder tilda fcgi-tilda
    start_responder telegram fcgi-telegram
    start_responder ops fcgi-ops
    start_nginx
    log "up: nginx http://127.0.0.1:$NGINX_PORT  postgres 127.0.0.1:$PG_PORT  redis 127.0.0.1:$REDIS_PORT"
    ;;
  stop)
    for p in nginx chat2desk tilda telegram health ops drain outbox due-jobs; do kill_pidfile "$p" TERM; done
    for f in "$PIDS"/*.pid; do [ -f "$f" ] || continue; n=$(basename "$f" .pid); [ "$n" = postgres ] || [ "$n" = redis ] || kill_pidfile "$n" TERM; done
    [ -f "$PIDS/redis.pid" ] && { redis-cli -p "$(grep -oP '(?<=STACK_REDIS_PORT=).*' "$DIR/stack.env")" shutdown nosave >/dev/null 2>&1 || kill_pidfile redis TERM; rm -f "$PIDS/redis.pid"; }
    stop_pg
    ;;
  redis-stop) redis-cli -p "$(grep -oP '(?<=STACK_REDIS_PORT=).*' "$DIR/stack.env")" shutdown >/dev/null 2>&1 || true; rm -f "$PIDS/redis.pid" ;;
  redis-kill) kill_pidfile redis KILL ;;
  redis-start) MODE=test; REDIS_PORT=$(grep -oP '(?<=STACK_REDIS_PORT=).*' "$DIR/stack.env"); start_redis ;;
  pg-stop) stop_pg ;;
  pg-start) MODE=test; PG_PORT=$(grep -oP '(?<=STACK_PG_PORT=).*' "$DIR/stack.env"); start_pg ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
