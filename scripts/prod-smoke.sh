#!/usr/bin/env bash
# The production smoke test (`make test` runs it): follows the README's "Production" steps on a scratch root and
# the running test stack, and fails loudly at the first step that does not hold.
#
#   scripts/prod-smoke.sh STACK_DIR BIN_DIR
#
#  1. `make install DESTDIR=<scratch> BUILD_DIR=BIN_DIR` (the debug build `make test` has).
#  2. The shipped sysusers.d file creates the chatbots user in an empty root; then on this machine (the cron lines
#     run as that user; the one side effect outside the scratch root, as `make install` has on a real host).
#     `make postinstall DESTDIR=<scratch>` applies the shipped tmpfiles.d file (directories) and the env file's
#     group, as `make install` does on a host. Without systemd-sysusers/-tmpfiles it uses useradd/install -d.
#  3. `systemd-analyze verify` on every installed unit (any warning fails), and `security --offline` for the record.
#  4. The installed production nginx site, with only its ports, certificate and paths moved into the scratch root
#     (a throwaway self-signed certificate), passes `nginx -t` and is started.
#  5. A Chat2Desk conversation posted through it (HTTPS, the secret in the path as Chat2Desk sends it, and a Tilda
#     probe with ?token=): the installed cron.d command lines, run as chatbots with the installed env file
#     (root:chatbots 0640), the README's Redis ACL user and its PostgreSQL app role (on a database the owner role
#     migrated with the installed botctl), turn it into an order and send the replies to the fake Chat2Desk.
#  6. The allow-list answers /health from 127.0.0.1 and refuses it from 127.0.0.2 (403 JSON); a flood of 600
#     requests is answered 429 with the JSON body; plain HTTP redirects.
#  7. The access log the production log_format wrote: JSON lines with request ids and statuses, and none of the
#     webhook secrets.
#  8. A second `make install` keeps the operator's edits (env file, AI prompt); `make uninstall` removes the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=$(cd "${1:?STACK_DIR}" && pwd)
BIN=$(cd "${2:?BIN_DIR}" && pwd)
started=$(date +%s)
fail() { echo "prod-smoke: FAIL: $*" >&2; exit 1; }
step() { echo "prod-smoke: $*"; }
[ "$(id -u)" = 0 ] || fail "needs root (it creates the chatbots user and runs the cron lines as that user)"
env_value() { grep -m1 "^$1=" "$STACK/stack.env" | cut -d= -f2-; }

# A scratch root every user can traverse (the cron lines run as chatbots).
ROOT=$(mktemp -d /var/tmp/chatbots-smoke.XXXXXX)
chmod 0755 "$ROOT"
NGINX_PID=
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  [ -n "${REDIS_PORT:-}" ] && redis-cli -p "$REDIS_PORT" ACL DELUSER chatbots >/dev/null 2>&1 || true
  [ -n "${PG_PORT:-}" ] && drop_roles >/dev/null 2>&1 || true
  [ "${PROD_SMOKE_KEEP:-0}" = 1 ] && echo "prod-smoke: kept $ROOT" || rm -rf "$ROOT"
}
trap cleanup EXIT
PREFIX=/usr/local

# 1. Install.
step "make install DESTDIR=$ROOT"
make --no-print-directory install DESTDIR="$ROOT" PREFIX=$PREFIX BUILD_DIR="$BIN" >"$ROOT/install.log" 2>&1 \
  || { cat "$ROOT/install.log" >&2; fail "make install"; }
for f in usr/local/bin/cron-prune etc/cron.d/chatbots etc/logrotate.d/chatbots etc/chatbots/chatbots.env \
  etc/chatbots/texts/shoro.ru.json etc/nginx/sites-available/chatbots etc/nginx/snippets/chatbots-locations.conf \
  usr/local/lib/sysusers.d/chatbots.conf usr/local/lib/tmpfiles.d/chatbots.conf; do
  [ -e "$ROOT/$f" ] || fail "make install did not install /$f"
done

# 2. The user and the directories, from the shipped files.
SYSUSERS=$ROOT$PREFIX/lib/sysusers.d/chatbots.conf
if command -v systemd-sysusers >/dev/null; then
  step "systemd-sysusers: the shipped file in an empty root, then on this machine"
  mkdir -p "$ROOT/sysusers-check/etc"
  systemd-sysusers --root="$ROOT/sysusers-check" "$SYSUSERS"
  grep -q '^chatbots:' "$ROOT/sysusers-check/etc/passwd" || fail "the sysusers.d file creates no chatbots user"
  systemd-sysusers "$SYSUSERS"
else
  step "no systemd-sysusers: useradd, as make postinstall does"
  getent passwd chatbots >/dev/null || useradd --system --user-group --no-create-home --home-dir / \
    --shell /usr/sbin/nologin chatbots
fi
# The scratch root stands for this machine's root: its users and groups (www-data, adm, chatbots) are this machine's.
cp /etc/passwd /etc/group "$ROOT/etc/"
make --no-print-directory postinstall DESTDIR="$ROOT" PREFIX=$PREFIX >"$ROOT/postinstall.log" 2>&1 \
  || { cat "$ROOT/postinstall.log" >&2; fail "make postinstall"; }
step "tools used: $(command -v systemd-tmpfiles >/dev/null && echo systemd-tmpfiles || echo 'install -d (no systemd-tmpfiles)')"
[ "$(stat -c '%U:%G %a' "$ROOT/etc/chatbots/chatbots.env")" = "root:chatbots 640" ] \
  || fail "the env file is $(stat -c '%U:%G %a' "$ROOT/etc/chatbots/chatbots.env"), not root:chatbots 640"

# 3. systemd units.
UNITS=$ROOT$PREFIX/lib/systemd/system
if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify"
  # verify --root needs the system's own units (sysinit.target, ...) inside the root.
  mkdir -p "$ROOT/usr/lib/systemd" && cp -r /lib/systemd/system "$ROOT/usr/lib/systemd/"
  for unit in chatbots-fcgi@health.socket chatbots-fcgi@health.service chatbots-fcgi@chat2desk.socket \
    chatbots-fcgi@chat2desk.service chatbots-fcgi@tilda.service chatbots-fcgi@telegram.service chatbots-fcgi@ops.service \
    chatbots-drain.service; do
    template=$(echo "$unit" | sed 's/@[^.]*\./@./')
    [ -f "$UNITS/$template" ] || fail "no unit file $template"
    out=$(systemd-analyze verify --root="$ROOT" "$PREFIX/lib/systemd/system/$unit" 2>&1) || fail "verify $unit: $out"
    [ -z "$out" ] || fail "verify $unit warns: $out"
  done
  for unit in chatbots-fcgi@chat2desk.service chatbots-drain.service; do
    exposure=$(systemd-analyze security --offline=yes --root="$ROOT" "$unit" 2>&1 | grep -o 'Overall exposure level.*' || true)
    [ -n "$exposure" ] || fail "systemd-analyze security $unit printed no exposure"
    step "$exposure"
  done
else
  fail "systemd-analyze is missing: make deps installs systemd"
fi
if command -v logrotate >/dev/null; then
  sed "s#/var/log/chatbots#$ROOT/var/log/chatbots#" "$ROOT/etc/logrotate.d/chatbots" >"$ROOT/logrotate.conf"
  logrotate -d -s "$ROOT/logrotate.state" "$ROOT/logrotate.conf" >"$ROOT/logrotate.log" 2>&1 \
    || { cat "$ROOT/logrotate.log" >&2; fail "logrotate rejects /etc/logrotate.d/chatbots"; }
fi

# 4. The production nginx site on free loopback ports with a throwaway certificate.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port); HTTPS_PORT=$(free_port)
HOST=bots.example.com
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$HOST" -addext "subjectAltName=DNS:$HOST" \
  -keyout "$ROOT/tls.key" -out "$ROOT/tls.crt" >/dev/null 2>&1 || fail "openssl could not make a certificate"
SITE=$ROOT/etc/nginx/sites-available/chatbots
sed -i -e "s#/run/chatbots/#$STACK/run/#g" "$ROOT/etc/nginx/snippets/chatbots-locations.conf"
sed -e "s#^\( *\)listen 80;#\1listen 127.0.0.1:$HTTP_PORT;#" -e "s#^\( *\)listen 443 ssl http2;#\1listen 127.0.0.1:$HTTPS_PORT ssl http2;#" \
  -e '/listen \[::\]/d' -e "s#/run/chatbots/#$STACK/run/#g" \
  -e "s#/etc/letsencrypt/live/$HOST/fullchain.pem#$ROOT/tls.crt#" -e "s#/etc/letsencrypt/live/$HOST/privkey.pem#$ROOT/tls.key#" \
  -e "s#/etc/nginx/snippets/#$ROOT/etc/nginx/snippets/#g" -e "s#/var/log/nginx/#$ROOT/var/log/nginx/#g" \
  "$SITE" >"$ROOT/site.conf"
grep -q "listen 127.0.0.1:$HTTPS_PORT ssl" "$ROOT/site.conf" || fail "the site's listen lines changed: update this script"
mkdir -p "$ROOT/var/log/nginx" "$ROOT/nginx-tmp"
cat >"$ROOT/nginx.conf" <<CONF
worker_processes 1;
pid $ROOT/nginx.pid;
error_log $ROOT/var/log/nginx/error.log warn;
user root root;
events { worker_connections 1024; }
http {
    client_body_temp_path $ROOT/nginx-tmp/body;
    fastcgi_temp_path $ROOT/nginx-tmp/fastcgi;
    proxy_temp_path $ROOT/nginx-tmp/proxy;
    uwsgi_temp_path $ROOT/nginx-tmp/uwsgi;
    scgi_temp_path $ROOT/nginx-tmp/scgi;
    include $ROOT/site.conf;
}
CONF
step "nginx -t on the production site"
nginx -t -p "$ROOT" -c "$ROOT/nginx.conf" -e "$ROOT/var/log/nginx/error.log" >"$ROOT/nginx-t.log" 2>&1 \
  || { cat "$ROOT/nginx-t.log" >&2; fail "nginx -t rejects the production site"; }
nginx -p "$ROOT" -c "$ROOT/nginx.conf" -e "$ROOT/var/log/nginx/error.log" || fail "nginx does not start"
for _ in $(seq 100); do [ -s "$ROOT/nginx.pid" ] && break; sleep 0.05; done
NGINX_PID=$(cat "$ROOT/nginx.pid")
https() { # method path [curl args...] → "status body"
  local method=$1 path=$2; shift 2
  curl -sS -o "$ROOT/body" -w '%{http_code}' --max-time 10 --cacert "$ROOT/tls.crt" \
    --resolve "$HOST:$HTTPS_PORT:127.0.0.1" -X "$method" "$@" "https://$HOST:$HTTPS_PORT$path"
  printf ' %s' "$(cat "$ROOT/body")"
}

# 5. A conversation through nginx, drained by the installed cron lines running as chatbots.
C2D_SECRET=$(env_value CHAT2DESK_WEBHOOK_SECRET); TILDA_SECRET=$(env_value TILDA_WEBHOOK_SECRET)
TG_SECRET=$(env_value TELEGRAM_WEBHOOK_SECRET)
[ -n "$C2D_SECRET" ] && [ -n "$TILDA_SECRET" ] && [ -n "$TG_SECRET" ] || fail "the stack's env lacks the webhook secrets"
C2D_API=$(env_value CHAT2DESK_API_URL)
# The Redis ACL user exactly as the README creates it (limited to the service's key prefixes, no admin commands).
REDIS_PORT=$(env_value STACK_REDIS_PORT)
acl=$(grep -m1 -o 'ACL SETUSER chatbots .*' README.md) || fail "the README shows no ACL SETUSER line"
REDIS_PASSWORD=smoke-$RANDOM$RANDOM$RANDOM
set -f  # the README's line is split into arguments as redis-cli would split it, its ~q:* patterns unglobbed
# shellcheck disable=SC2086
redis-cli -p "$REDIS_PORT" ${acl//LONG-RANDOM-PASSWORD/$REDIS_PASSWORD} | grep -qx OK || fail "redis-cli $acl"
set +f
# The PostgreSQL role split exactly as the README shows it, on a database of its own: the owner role migrates
# with the installed botctl, the cron lines run as the app role (data only).
PG_PORT=$(env_value STACK_PG_PORT)
as_postgres() { psql -X -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
drop_roles() { as_postgres -d postgres -c 'DROP DATABASE IF EXISTS chatbots_smoke WITH (FORCE)' \
  -c 'DROP ROLE IF EXISTS chatbots_app' -c 'DROP ROLE IF EXISTS chatbots_owner'; }
drop_roles
sed -n '/^   ```sql$/,/^   ```$/p' README.md | sed -e '1d;$d' -e 's/^   //' -e 's/DATABASE chatbots /DATABASE chatbots_smoke /' \
  -e 's/^\\c chatbots$/\\c chatbots_smoke/' >"$ROOT/roles.sql"
grep -qx '\\c chatbots_smoke' "$ROOT/roles.sql" || fail "the README's role SQL changed shape: update this script"
as_postgres -d postgres -f "$ROOT/roles.sql" >"$ROOT/roles.log" 2>&1 || { cat "$ROOT/roles.log" >&2; fail "the README's role SQL"; }
SMOKE_DB=postgresql://chatbots_app@127.0.0.1:$PG_PORT/chatbots_smoke
# The installed env file (root:chatbots 0640) gets the test stack's values; Redis over TCP (the stack's unix
# socket is root's only), the Shoro bot alone (its webhooks are what this test sends).
ENV_FILE=$ROOT/etc/chatbots/chatbots.env
cat >"$ENV_FILE" <<ENV
DATABASE_URL=$SMOKE_DB
REDIS_URL=redis://chatbots:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0
TEXTS_DIR=$ROOT/etc/chatbots/texts
SHORO_ENABLED=true
ACADEMY_ENABLED=false
CHAT2DESK_API_URL=$C2D_API
CHAT2DESK_TOKEN=$(env_value CHAT2DESK_TOKEN)
CHAT2DESK_WEBHOOK_SECRET=$C2D_SECRET
DRAIN_RUN_SECONDS=8
ENV
[ "$(stat -c '%U:%G %a' "$ENV_FILE")" = "root:chatbots 640" ] || fail "writing the env file changed its owner or mode"
runuser -u chatbots -- env -i CHATBOTS_ENV_FILE="$ENV_FILE" DATABASE_URL="${SMOKE_DB/chatbots_app/chatbots_owner}" \
  "$ROOT$PREFIX/bin/botctl" migrate --dir "$ROOT$PREFIX/share/chatbots/migrations" >"$ROOT/migrate.log" 2>&1 \
  || { cat "$ROOT/migrate.log" >&2; fail "botctl migrate as the owner role"; }
if psql -X -q "$SMOKE_DB" -c 'CREATE TABLE smoke_ddl (a int)' >/dev/null 2>&1; then fail "the app role may create tables"; fi
CLIENT=$(( 800000000 + RANDOM * 1000 + RANDOM % 1000 ))
n=0
for text in 'привет' 'ул. Киевская 95' '0555123456' '3' 'да'; do
  n=$((n + 1))
  body=$(python3 -c 'import json,sys; print(json.dumps({"hook_type":"inbox","type":"from_client","message_id":sys.argv[1],
    "client_id":int(sys.argv[2]),"text":sys.argv[3],"transport":"whatsapp"}))' "$CLIENT$n" "$CLIENT" "$text")
  answer=$(https POST "/webhook/chat2desk/$C2D_SECRET" -H 'Content-Type: application/json' --data-binary "$body")
  [ "${answer%% *}" = 200 ] || fail "Chat2Desk webhook through the production site: $answer"
done
answer=$(https POST "/webhook/tilda?token=$TILDA_SECRET" --data 'test=test')
[ "${answer%% *}" = 200 ] || fail "Tilda probe with ?token=: $answer"
answer=$(https GET /webhook/tg -H "X-Telegram-Bot-Api-Secret-Token: $TG_SECRET")
[ "${answer%% *}" = 405 ] || fail "GET /webhook/tg: $answer"
answer=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/webhook/chat2desk/$C2D_SECRET")
[ "${answer%% *}" = 301 ] || fail "plain HTTP is not redirected: $answer"

step "the installed cron.d lines, as chatbots"
CRON=$ROOT/etc/cron.d/chatbots
grep -q '^MAILTO=' "$CRON" || fail "cron.d file sets no MAILTO"
grep -q "^CHATBOTS_ENV_FILE=/etc/chatbots/chatbots.env" "$CRON" || fail "cron.d file does not name the env file"
lines=$(awk '!/^#/ && NF >= 7 && $6 == "chatbots" { $1=$2=$3=$4=$5=$6=""; sub(/^ +/, ""); print }' "$CRON")
[ "$(echo "$lines" | grep -c 'flock -w')" -ge 4 ] || fail "cron lines without flock -w: $lines"
pids=()
while read -r line; do
  [ -n "$line" ] || continue
  moved=$(echo "$line" | sed -e "s#/usr/local/bin/#$ROOT/usr/local/bin/#g" -e "s#/run/chatbots/#$ROOT/run/chatbots/#g" \
    -e "s#/var/log/chatbots/#$ROOT/var/log/chatbots/#g")
  runuser -u chatbots -- env -i PATH=/usr/bin:/bin CHATBOTS_ENV_FILE="$ENV_FILE" /bin/sh -c "$moved" &
  pids+=($!)
done <<<"$lines"
order=
for _ in $(seq 300); do
  order=$(psql -X "$SMOKE_DB" -tAc "SELECT bottles_count FROM orders WHERE chat2desk_client_id = '$CLIENT'" 2>/dev/null || true)
  [ -n "$order" ] && break
  sleep 0.1
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
[ -n "$order" ] || { tail -n 20 "$ROOT"/var/log/chatbots/*.log >&2 2>/dev/null || true
  fail "no order for client $CLIENT: the cron lines did not drain (run status $status; is /var/log/chatbots there? do the README's grants suffice?)"; }
[ "$order" = 3 ] || fail "the order has $order bottles, not 3"
[ "$status" = 0 ] || { tail -n 20 "$ROOT"/var/log/chatbots/*.log >&2; fail "a cron line exited $status"; }
replies=$(curl -sS "$C2D_API/_fake/messages?client_id=$CLIENT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$replies" -ge 5 ] || fail "the fake Chat2Desk got $replies replies for client $CLIENT, not one per message"
# /health after the cron lines: before them the webhooks above wait with no cron-drain run yet, a stall it reports.
answer=$(https GET /health)
[ "${answer%% *}" = 200 ] || fail "/health from 127.0.0.1: $answer"
answer=$(https GET /health --interface 127.0.0.2)
[ "$answer" = '403 {"error":"forbidden","message":"this route is for operators only"}' ] \
  || fail "/health from 127.0.0.2 (not allow-listed): $answer"
for log in drain outbox due-jobs sheets-sync prune; do
  [ -e "$ROOT/var/log/chatbots/$log.log" ] || fail "no /var/log/chatbots/$log.log opened by its cron line"
  [ "$(stat -c %U "$ROOT/var/log/chatbots/$log.log")" = chatbots ] || fail "$log.log is not the chatbots user's"
done
[ "$(stat -c '%U:%G %a' "$ROOT/var/log/chatbots")" = "chatbots:adm 750" ] || fail "/var/log/chatbots is not chatbots:adm 0750"
[ "$(stat -c '%U:%G %a' "$ROOT/run/chatbots")" = "chatbots:www-data 750" ] || fail "/run/chatbots is not chatbots:www-data 0750"

# The rate limit (100 r/s, burst 200) answers a flood with 429 and the same small JSON body as the other errors:
# 600 requests to a route the responders serve (nginx's own `return`s run before the limit), on one HTTP/2 connection.
mkdir -p "$ROOT/flood"
urls=$(for i in $(seq 600); do printf 'url = "https://%s:%s/webhook/tg"\noutput = "%s/flood/%s"\n' "$HOST" "$HTTPS_PORT" "$ROOT" "$i"; done)
codes=$(echo "$urls" | curl -sS -Z --parallel-max 100 --http2 --cacert "$ROOT/tls.crt" --resolve "$HOST:$HTTPS_PORT:127.0.0.1" \
  -K - -w '%{http_code}\n' 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')
[[ "$codes" == *" 429"* ]] || fail "600 requests at once were not rate limited: $codes"
[[ "$codes" =~ ^( [0-9]+ (405|429))+\ $ ]] || fail "600 requests at once got other answers than 405 and 429: $codes"
limited=$(grep -l rate_limited "$ROOT"/flood/* | head -n 1 || true)
[ "$(cat "$limited")" = '{"error":"rate_limited","message":"too many requests, retry later"}' ] \
  || fail "a 429 answers: $(cat "$limited")"
step "a flood of 600 requests: $codes"

# 7. The access log.
kill "$NGINX_PID"; for _ in $(seq 100); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.05; done; NGINX_PID=
ACCESS=$ROOT/var/log/nginx/chatbots.access.log
[ "$(wc -l <"$ACCESS")" -ge 10 ] || fail "the access log has $(wc -l <"$ACCESS") lines, expected one per request"
python3 - "$ACCESS" <<'PY' || fail "the access log is not the production JSON format"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    entry = json.loads(line)
    assert len(entry["request_id"]) == 32 and isinstance(entry["status"], int) and "request_time" in entry, line
    assert "upstream_response_time" in entry and "path" in entry, line
PY
for secret in "$C2D_SECRET" "$TILDA_SECRET" "$TG_SECRET"; do
  if grep -qF "$secret" "$ACCESS"; then fail "a webhook secret is in the access log: $(grep -F "$secret" "$ACCESS" | head -1)"; fi
done
grep -q '"path":"/webhook/chat2desk/\[redacted\]"' "$ACCESS" || fail "no redacted Chat2Desk path in the access log"
# 8. Upgrading keeps what the operator edited; uninstalling removes the rest and keeps it too.
echo "# edited by the operator" >>"$ROOT/etc/chatbots/ai/system_prompt.txt"
env_before=$(sha256sum <"$ENV_FILE")
make --no-print-directory install DESTDIR="$ROOT" PREFIX=$PREFIX BUILD_DIR="$BIN" >"$ROOT/reinstall.log" 2>&1 \
  || { cat "$ROOT/reinstall.log" >&2; fail "make install over an installed root"; }
grep -q "edited by the operator" "$ROOT/etc/chatbots/ai/system_prompt.txt" || fail "make install overwrote the AI prompt"
[ "$(sha256sum <"$ENV_FILE")" = "$env_before" ] || fail "make install overwrote the env file"
[ "$(stat -c '%U:%G %a' "$ENV_FILE")" = "root:chatbots 640" ] || fail "make install changed the env file's owner or mode"
make --no-print-directory uninstall DESTDIR="$ROOT" PREFIX=$PREFIX >"$ROOT/uninstall.log" 2>&1 \
  || { cat "$ROOT/uninstall.log" >&2; fail "make uninstall"; }
left=$(cd "$ROOT" && find usr/local etc/cron.d etc/logrotate.d etc/nginx/snippets \( -type f -o -type l \) 2>/dev/null)
[ -z "$left" ] || fail "make uninstall left: $left"
[ -f "$ENV_FILE" ] && [ -f "$ROOT/etc/nginx/sites-available/chatbots" ] || fail "make uninstall removed the operator's files"

step "passed in $(( $(date +%s) - started ))s: order of $order bottles, $replies replies, $(wc -l <"$ACCESS") access log lines without secrets"
