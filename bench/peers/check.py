"""Correctness check of each server before `make bench` measures it: the same answers (403 wrong token, 400 bad
JSON, 200 queued, 200 duplicate) and the same Redis keys and payload fields as fcgi-chat2desk.
Usage: check.py NGINX_URL SECRET REDIS_PORT PREFIX... (prefix "" is the project itself). Exits 1 on a difference."""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

url, secret, redis_port, prefixes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
base = 900_000_000 + int(time.time()) % 100_000 * 100


def post(prefix, token, body):
    request = urllib.request.Request(f"{url}{prefix}/webhook/chat2desk?token={token}", body,
                                     {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def redis(*args):
    return subprocess.run(["redis-cli", "-p", redis_port, *args], check=True, capture_output=True, text=True).stdout.strip()


def body(message_id, client_id):
    return json.dumps({"hook_type": "inbox", "type": "from_client", "message_id": message_id, "client_id": client_id,
                       "text": "ул. Киевская 95", "transport": "whatsapp", "channel_id": 777, "photo": None,
                       "attachments": []}).encode()


failures = []
stored = {}
for index, prefix in enumerate(prefixes):
    name = prefix or "project"
    message, client = base + index, base + 50 + index
    expect = [
        ("wrong token", post(prefix, "wrong-" + secret, body(message, client)), 403, "forbidden"),
        ("bad JSON", post(prefix, secret, b'{"hook_type": "inbox", '), 400, "bad_request"),
        ("new message", post(prefix, secret, body(message, client)), 200, True),
        ("same message again", post(prefix, secret, body(message, client)), 200, False),
    ]
    for what, (status, answer), want_status, want in expect:
        got = answer.get("error") if status != 200 else answer.get("queued")
        if status != want_status or got != want:
            failures.append(f"{name}: {what}: {status} {answer}")
    if redis("EXISTS", f"q:{{shoro}}:seen:{message}") != "1":
        failures.append(f"{name}: no de-duplication key q:{{shoro}}:seen:{message}")
    if redis("ZSCORE", "q:{shoro}:sched", str(client)) == "":
        failures.append(f"{name}: conversation {client} not scheduled")
    items = redis("LRANGE", f"q:{{shoro}}:c:{client}", "0", "-1").splitlines()
    if len(items) != 1:
        failures.append(f"{name}: {len(items)} messages queued for client {client}, want 1")
        continue
    payload = json.loads(items[0])
    payload.pop("received_at", None)
    stored[name] = {**payload, "message_id": "<id>", "client_id": "<client>"}
reference = stored.get("project")
for name, payload in stored.items():
    if payload != reference:
        failures.append(f"{name}: queued payload {payload} differs from the project's {reference}")
for failure in failures:
    print("bench check:", failure)
print(f"bench check: {len(prefixes)} servers, {'OK' if not failures else f'{len(failures)} differences'}")
sys.exit(1 if failures else 0)
