#!/usr/bin/env python3
"""`make drill`: a bad production week for the Shoro bot, compressed into a few minutes, on a local stack.

Customers order water through nginx as real ones do (each waits for the bot's answer before the next message),
Chat2Desk delivers a share of webhooks twice, drainers are killed with SIGKILL and restarted (as cron would),
Redis is killed and restarted, PostgreSQL is stopped for DRILL_PG_OUTAGE seconds (default 60), and the fake
Chat2Desk fails a share of sends (500) and rate-limits some (429 with Retry-After). At the end every figure is
checked: each customer who confirmed has exactly one order, every acknowledged message was answered, no reply
was delivered twice or out of order. Prints the figures (orders, unanswered, duplicates, reply latency p50/p99)
and exits non-zero when a guarantee did not hold.

    scripts/drill.py [--customers 300] [--pg-outage 60] [--bin .build/release] [--dir var/drill]
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(message):
    print(f"drill: {time.strftime('%H:%M:%S')} {message}", flush=True)


def http(method, url, body=None, timeout=5):
    data = body.encode() if isinstance(body, str) else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return -1, b""


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Stack:
    """The local stack of scripts/stack.sh, in test mode (empty servers), under `directory`."""

    def __init__(self, directory, binaries):
        self.directory, self.binaries = os.path.abspath(directory), os.path.abspath(binaries)
        self.env_file = os.path.join(self.directory, "stack.env")

    def script(self, *arguments):
        subprocess.run([os.path.join(ROOT, "scripts/stack.sh"), arguments[0], self.directory, *arguments[1:]],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)

    def start(self):
        subprocess.run([os.path.join(ROOT, "scripts/stack.sh"), "start", self.directory, self.binaries, "test"], check=True)
        self.env = {}
        for line in open(self.env_file):
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                self.env[key] = value.strip('"')

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts/stack.sh"), "stop", self.directory],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sql(self, query):
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", self.env["STACK_PG_PORT"], "-U", "postgres", "-d", "chatbots",
                              "-tAc", query], check=True, capture_output=True, text=True).stdout
        return [line.split("|") for line in out.strip().splitlines() if line]


class Jobs:
    """cron as the drill runs it: keeps `drainers` cron-drain processes and one cron-outbox running, restarting
    each one that exits (cron starts them every minute; here at once, so a kill costs a lease, not a minute)."""

    def __init__(self, stack, drainers):
        self.stack, self.drainers = stack, drainers
        self.processes, self.lock, self.stopping = {}, threading.Lock(), False
        self.environment = {**os.environ, "CHATBOTS_ENV_FILE": stack.env_file, "SEND_RETRY_DELAYS": "0.2,0.5,1",
                            "QUEUE_LEASE_SECONDS": "10", "HTTP_TIMEOUT_SECONDS": "3", "HTTP_CONNECT_TIMEOUT_SECONDS": "1",
                            "OUTBOX_BACKOFF_SECONDS": "1", "OUTBOX_BACKOFF_MAX_SECONDS": "10",
                            "CHAT2DESK_RATE_LIMIT_PER_MINUTE": "100000", "LOG_LEVEL": "warning"}
        self.kills = 0
        self.logs = open(os.path.join(stack.directory, "log", "drill-jobs.log"), "ab")

    def spawn(self, name):
        if name.startswith("drain"):
            arguments = [os.path.join(self.stack.binaries, "cron-drain"), "--bot", "shoro", "--seconds", "55", "--concurrency", "4"]
        else:
            arguments = [os.path.join(self.stack.binaries, "cron-outbox"), "--bot", "shoro", "--seconds", "55"]
        return subprocess.Popen(arguments, env=self.environment, stdout=self.logs, stderr=self.logs, stdin=subprocess.DEVNULL)

    def supervise(self):
        names = [f"drain-{i}" for i in range(self.drainers)] + ["outbox"]
        while not self.stopping:
            with self.lock:
                for name in names:
                    process = self.processes.get(name)
                    if process is None or process.poll() is not None:
                        self.processes[name] = self.spawn(name)
            time.sleep(0.5)

    def kill_one_drainer(self):
        with self.lock:
            drainers = [p for n, p in self.processes.items() if n.startswith("drain") and p.poll() is None]
            if drainers:
                random.choice(drainers).send_signal(signal.SIGKILL)
                self.kills += 1

    def stop(self):
        self.stopping = True
        with self.lock:
            for process in self.processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in self.processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


class Deliveries:
    """What the fake Chat2Desk delivered, per client, refreshed by one poller (not one per customer)."""

    def __init__(self, url):
        self.url, self.by_client, self.changed = url, {}, threading.Condition()
        self.stopping = False

    def poll(self):
        while not self.stopping:
            status, body = http("GET", self.url + "/_fake/messages", timeout=10)
            if status == 200:
                grouped = {}
                for message in json.loads(body):
                    grouped.setdefault(message["client_id"], []).append(message["text"])
                with self.changed:
                    self.by_client = grouped
                    self.changed.notify_all()
            time.sleep(0.2)

    def texts(self, client):
        with self.changed:
            return list(self.by_client.get(client, []))

    def wait(self, client, count, deadline):
        with self.changed:
            while len(self.by_client.get(client, [])) < count:
                remaining = deadline - time.time()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 1))
            return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=int(os.environ.get("DRILL_CUSTOMERS", 300)))
    parser.add_argument("--pg-outage", type=float, default=float(os.environ.get("DRILL_PG_OUTAGE", 60)))
    parser.add_argument("--drainers", type=int, default=3)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    parser.add_argument("--dir", default=os.path.join(ROOT, "var/drill"))
    args = parser.parse_args()

    catalog = json.load(open(os.path.join(ROOT, "resources/texts/shoro.ru.json")))
    address, phone_text, phone_display = "ул. Киевская 95, кв 3", "0555 123 456", "+996 555 123 456"
    summary = catalog["summary"].replace("{address}", address).replace("{phone}", phone_display).replace("{bottles}", "3")
    script = [("Здравствуйте", [catalog["greeting"], catalog["askAddress"]]), (address, [catalog["askPhone"]]),
              (phone_text, [catalog["askBottles"]]), ("3", [summary]), ("да", [catalog["orderAccepted"]])]

    stack = Stack(args.dir, args.bin)
    stack.start()
    env = stack.env
    webhook = f"{env['STACK_NGINX_URL']}/webhook/chat2desk?token={env['CHAT2DESK_WEBHOOK_SECRET']}"
    fake = env["CHAT2DESK_API_URL"]
    jobs = Jobs(stack, args.drainers)
    deliveries = Deliveries(fake)
    threading.Thread(target=jobs.supervise, daemon=True).start()
    threading.Thread(target=deliveries.poll, daemon=True).start()
    # The provider's bad week: a fifth of sends fail, and now and then it rate-limits.
    http("POST", fake + "/_fake/faults", [
        {"route": "/v1/messages", "method": "POST", "mode": "status", "status": 500, "times": 1_000_000, "probability": 0.2},
    ])

    figures = {"acknowledged": 0, "duplicates_posted": 0, "webhook_retries": 0}
    latencies, outage_latencies, unanswered, lock = [], [], [], threading.Lock()
    outage = {"pg": None, "redis": None}

    def post(client, message_id, text):
        body = json.dumps({"hook_type": "inbox", "type": "from_client", "message_id": message_id, "client_id": client,
                           "text": text, "transport": "whatsapp"}, ensure_ascii=False)
        while True:  # Chat2Desk retries a webhook until it gets a 200
            status, _ = http("POST", webhook, body)
            if status == 200:
                return
            with lock:
                figures["webhook_retries"] += 1
            time.sleep(1)

    def customer(index):
        time.sleep(index * 60 / max(1, args.customers))  # they arrive over the first minute
        client = 7_000_000_000 + index
        expected = 0
        for step, (text, replies) in enumerate(script):
            message_id = client * 10 + step
            post(client, message_id, text)
            sent = time.time()
            with lock:
                figures["acknowledged"] += 1
            if random.random() < 0.2:  # a duplicate delivery of the same webhook
                threading.Timer(random.random() / 2, post, (client, message_id, text)).start()
                with lock:
                    figures["duplicates_posted"] += 1
            expected += len(replies)
            if not deliveries.wait(client, expected, sent + 300):
                with lock:
                    unanswered.append((client, step))
                return
            latency = time.time() - sent
            with lock:
                during = any(sent <= (window[1] or time.time()) and sent + latency >= window[0]
                             for window in outage.values() if window)
                (outage_latencies if during else latencies).append(latency)

    def chaos():
        started = time.time()
        next_kill = started + 8
        while not chaos_stop.is_set():
            now = time.time()
            if now >= next_kill:
                jobs.kill_one_drainer()
                next_kill = now + random.uniform(4, 9)
            if now - started > 20 and outage["redis"] is None:
                log("Redis: kill -9")
                stack.script("redis-kill")
                outage["redis"] = (time.time(), None)
                time.sleep(3)
                stack.script("redis-start")
                outage["redis"] = (outage["redis"][0], time.time())
                log("Redis: back")
            if now - started > 45 and outage["pg"] is None:
                log(f"PostgreSQL: stopped for {args.pg_outage:.0f} s")
                stack.script("pg-stop")
                outage["pg"] = (time.time(), None)
                time.sleep(args.pg_outage)
                stack.script("pg-start")
                outage["pg"] = (outage["pg"][0], time.time())
                log("PostgreSQL: back")
            if random.random() < 0.05:  # now and then a 429 with a short Retry-After
                http("POST", fake + "/_fake/faults",
                     {"route": "/v1/messages", "method": "POST", "mode": "retry_after", "seconds": 2, "times": 1})
            time.sleep(0.5)

    chaos_stop = threading.Event()
    began = time.time()
    try:
        log(f"{args.customers} customers, {args.drainers} drainers (SIGKILL every 4-9 s), Redis kill at 20 s, "
            f"PostgreSQL down {args.pg_outage:.0f} s at 45 s, 20% of sends failing")
        chaos_thread = threading.Thread(target=chaos, daemon=True)
        chaos_thread.start()
        customers = [threading.Thread(target=customer, args=(i,)) for i in range(args.customers)]
        for thread in customers:
            thread.start()
        for thread in customers:
            thread.join()
        chaos_stop.set()
        chaos_thread.join()
        http("DELETE", fake + "/_fake/faults")
        # Late sends (a duplicate would show up now): let the outbox settle.
        deadline = time.time() + 60
        while time.time() < deadline and stack.sql("SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0] != "0":
            time.sleep(1)
        time.sleep(2)
    finally:
        chaos_stop.set()
        jobs.stop()
        deliveries.stopping = True

    try:
        orders = {int(client): int(count) for client, count in
                  stack.sql("SELECT chat2desk_client_id, count(*) FROM orders GROUP BY chat2desk_client_id")}
        dead_outbox = int(stack.sql("SELECT count(*) FROM outbox WHERE status = 'dead'")[0][0])
        dead_letters = int(subprocess.run(["redis-cli", "-p", env["STACK_REDIS_PORT"], "LLEN", "q:{shoro}:dead"],
                                          capture_output=True, text=True).stdout.strip() or 0)
    finally:
        stack.stop()
    expected_texts = [reply for _, replies in script for reply in replies]
    clients = [7_000_000_000 + i for i in range(args.customers)]
    duplicates = out_of_order = 0
    for client in clients:
        texts = deliveries.texts(client)
        duplicates += max(0, len(texts) - len(expected_texts))
        if texts[:len(expected_texts)] != expected_texts[:len(texts)]:
            out_of_order += 1
    confirmed = [c for c in clients if not any(u[0] == c for u in unanswered)]
    missing_orders = sum(1 for c in confirmed if orders.get(c, 0) == 0)
    double_orders = sum(1 for c in clients if orders.get(c, 0) > 1)
    everything = latencies + outage_latencies
    print()
    print(f"drill: {time.time() - began:.0f} s; {figures['acknowledged']} messages acknowledged, "
          f"{figures['duplicates_posted']} delivered twice, {figures['webhook_retries']} webhook retries (503 while Redis was down)")
    print(f"drill: drainers killed with SIGKILL: {jobs.kills}; PostgreSQL down {args.pg_outage:.0f} s; Redis killed once")
    print(f"drill: orders: {sum(orders.get(c, 0) for c in clients)} for {len(confirmed)} customers who confirmed "
          f"(missing {missing_orders}, duplicated {double_orders})")
    print(f"drill: unanswered messages: {len(unanswered)}; duplicate replies: {duplicates}; conversations out of order: {out_of_order}")
    print(f"drill: dead letters: {dead_letters}; dead outbox rows: {dead_outbox}")
    print(f"drill: reply latency p50 {percentile(everything, .5):.2f} s, p99 {percentile(everything, .99):.2f} s "
          f"(outside outages: p50 {percentile(latencies, .5):.2f} s, p99 {percentile(latencies, .99):.2f} s; "
          f"{len(outage_latencies)} messages waited through an outage)")
    failed = unanswered or missing_orders or double_orders or duplicates or out_of_order or dead_letters
    print(f"drill: {'FAILED' if failed else 'every guarantee held'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
