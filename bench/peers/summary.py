"""The webhook table of `make bench` from its alternating rounds (bench/run.sh writes the two TSV files).
Usage: summary.py RUNS.tsv SYSCALLS.tsv CLK_TCK. Prints Markdown."""
import collections
import statistics
import sys

runs_file, syscalls_file, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
LABELS = {
    "nginx": "nginx `return 200`",
    "project": "project: nginx → fcgi-chat2desk → Redis",
    "keepconn": "project with fastcgi_keep_conn + upstream keepalive",
    "groupcommit": "project with keep_conn + group commit (threads share one pipelined Redis connection)",
    "node": "Node peer: nginx → node:http cluster → node-redis",
    "python": "Python peer: nginx → uvicorn/starlette → redis-py",
}
runs = collections.defaultdict(list)
for line in open(runs_file, encoding="utf-8"):
    round_, name, rps, p99, requests, bad, nginx, server, redis = line.rstrip("\n").split("\t")
    runs[name].append(dict(round=int(round_), rps=float(rps), p99=float(p99), requests=int(requests), bad=int(bad or 0),
                           cpu=(int(nginx), int(server), int(redis))))
syscalls = {}
for line in open(syscalls_file, encoding="utf-8"):
    name, requests, *calls = line.rstrip("\n").split("\t")
    requests = int(requests or 0)
    syscalls[name] = [int(c or 0) / requests for c in calls] if requests else None


def per_request(name):
    requests = sum(r["requests"] for r in runs[name])
    return [sum(r["cpu"][i] for r in runs[name]) / hz / requests * 1e6 for i in range(3)]


def per_round_ratio(a, b):
    by_round = {r["round"]: r["rps"] for r in runs[b]}
    return [r["rps"] / by_round[r["round"]] for r in runs[a] if by_round.get(r["round"])]


median = {name: statistics.median(r["rps"] for r in items) for name, items in runs.items()}
print("| server | req/s per round | median req/s | ÷ nginx | p99 median (max) | non-2xx | CPU µs/request nginx / server / Redis | syscalls/request nginx / server / Redis |")
print("|---|---|---|---|---|---|---|---|")
for name, items in runs.items():
    p99s = [r["p99"] for r in items]
    cpu = " / ".join(f"{v:.0f}" for v in per_request(name))
    calls = syscalls.get(name)
    calls = " / ".join(f"{v:.1f}" for v in calls) if calls else "–"
    rounds = ", ".join(f"{r['rps']:.0f}" for r in items)
    print(f"| {LABELS.get(name, name)} | {rounds} | {median[name]:.0f} "
          f"| {median[name] / median['nginx']:.3f} | {statistics.median(p99s):.2f} ms ({max(p99s):.2f}) "
          f"| {sum(r['bad'] for r in items)} | {cpu} | {calls} |")
print()
for a, b, target in [("project", "node", 1.5), ("keepconn", "node", 1.5), ("project", "python", 3.0),
                     ("keepconn", "python", 3.0), ("keepconn", "project", 1.0), ("groupcommit", "keepconn", 1.0)]:
    if runs.get(a) and runs.get(b):
        ratios = per_round_ratio(a, b)
        print(f"* {a} ÷ {b}, per round: {', '.join(f'{x:.2f}' for x in ratios)} (target ≥ {target})")
