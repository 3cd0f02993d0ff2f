"""Reply latency: post webhooks at a fixed rate (one new client each) and measure until the fake
Chat2Desk received the first reply for that client. Prints p50/p99 in ms."""
import json, sys, threading, time, urllib.request
nginx, secret, fake, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
sent = {}
base = 7_000_000 + int(time.time()) % 1_000_000 * 10
def post(i):
    client = base + i
    body = json.dumps({"hook_type": "inbox", "type": "from_client", "message_id": client, "client_id": client,
                       "text": "Здравствуйте", "transport": "whatsapp"}).encode()
    req = urllib.request.Request(f"{nginx}/webhook/chat2desk?token={secret}", body, {"Content-Type": "application/json"})
    t = time.time()
    urllib.request.urlopen(req, timeout=5).read()
    sent[client] = t
n = int(rate * seconds)
start = time.time()
threads = []
for i in range(n):
    target = start + i / rate
    delay = target - time.time()
    if delay > 0: time.sleep(delay)
    th = threading.Thread(target=post, args=(i,)); th.start(); threads.append(th)
for th in threads: th.join()
time.sleep(2)
calls = json.load(urllib.request.urlopen(f"{fake}/_fake/calls?path=/v1/messages"))
first = {}
for c in calls:
    body = c.get("json") or {}
    cid = int(body.get("client_id", 0))
    if cid in sent and cid not in first: first[cid] = c["t_wall"]
lat = sorted((first[c] - sent[c]) * 1000 for c in first)
if not lat: print("no replies"); sys.exit(1)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"messages {n}, replied {len(lat)}, p50 {p(0.50):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1]:.1f} ms")
