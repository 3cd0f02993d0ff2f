#!/usr/bin/env python3
"""Self-test for fakelib + every fake. Run: python3 fakes/test_fakes.py

Chat2Desk tests live here; the other fakes' tests live in test_<fake>.py (each also runnable alone)
and are run from main() below."""
import http.client
import http.server
import importlib
import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testkit import expect_invalid_json, expect_no_response, expect_timeout, finish, run_modules  # noqa: E402

OTHER_SUITES = ["test_resend", "test_telegram", "test_zoom", "test_openai"]   # modules: SCRIPT, ARGS, NAME, t_*
TOKEN = "test-token-123"
AUTH = {"Authorization": TOKEN}
SCRIPT, NAME = "chat2desk.py", "chat2desk"
ARGS = ["--token", TOKEN]
RATE_LIMIT = {"status": "error", "message": "Number of API requests exceeded"}


def send(c, text="hi", client_id=7, headers=AUTH, **extra):
    return c.call("POST", "/v1/messages", {"client_id": client_id, "text": text, **extra}, headers)


def delivered(c, client_id=7):
    return c.call("GET", f"/_fake/messages?client_id={client_id}").json


# ---------------------------------------------------------------------------------------
def t_health(c):
    r = c.call("GET", "/_fake/health")
    assert r.status == 200 and r.json["ok"] and r.json["name"] == "chat2desk"


def t_auth_rejected(c):
    for hdrs in ({}, {"Authorization": "wrong"}, {"Authorization": "Bearer " + TOKEN}):
        r = send(c, headers=hdrs)
        assert r.status == 401, r.status
        assert r.json == {"status": "error", "message": "You need to auth"}, r.json
    assert c.call("GET", "/v1/messages?client_id=7").status == 401
    assert delivered(c) == []


def t_validation(c):
    cases = [({"text": "x"}, "client_id"), ({"client_id": "abc", "text": "x"}, "client_id"),
             ({"client_id": True, "text": "x"}, "client_id"), ({"client_id": 7}, "text"),
             ({"client_id": 7, "text": ""}, "text"), ({"client_id": 7, "text": 5}, "text"),
             ({"client_id": 7, "text": "x", "type": "bogus"}, "type")]
    for body, field in cases:
        r = c.call("POST", "/v1/messages", body, AUTH)
        assert r.status == 400, (body, r.status)
        assert r.json["status"] == "error" and r.json["message"] and field in r.json["errors"], r.json
    r = c.call("POST", "/v1/messages", b"{not json", {**AUTH, "Content-Type": "application/json"})
    assert r.status == 400 and r.json["status"] == "error"
    assert delivered(c) == []


def t_send_success(c):
    r = send(c, "hello", client_id=7, external_id="ext-1")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    d = r.json["data"]
    assert r.json["status"] == "success" and d["message_id"] == 1 and d["client_id"] == 7
    assert d["type"] == "to_client" and d["channel_id"] == 1 and d["transport"] == "telegram"
    assert isinstance(d["dialog_id"], int) and isinstance(d["request_id"], int)
    r2 = send(c, "second", client_id="7")            # numeric string accepted
    assert r2.status == 200 and r2.json["data"]["client_id"] == 7 and r2.json["data"]["message_id"] == 2
    assert r2.json["data"]["dialog_id"] == d["dialog_id"]
    r3 = c.call("POST", "/v1/messages", {"client_id": 8, "attachment": "https://x/y.png"}, AUTH)
    assert r3.status == 200, r3.raw
    msgs = delivered(c, 7)
    assert [m["text"] for m in msgs] == ["hello", "second"]
    assert msgs[0]["external_id"] == "ext-1" and msgs[1]["external_id"] is None
    assert len(delivered(c, 8)) == 1 and len(c.call("GET", "/_fake/messages").json) == 3


def t_list_messages(c):
    for i in range(5):
        send(c, f"m{i}", external_id=f"e{i}")
    send(c, "other", client_id=9)
    # the default order is stable but not chronological (the real order is not documented)
    scrambled = [x["text"] for x in c.call("GET", "/v1/messages?client_id=7", headers=AUTH).json["data"]]
    assert sorted(scrambled) == ["m0", "m1", "m2", "m3", "m4"], scrambled
    assert scrambled not in (["m4", "m3", "m2", "m1", "m0"], ["m0", "m1", "m2", "m3", "m4"]), scrambled
    pages = [x["text"] for o in (0, 2, 4)
             for x in c.call("GET", f"/v1/messages?client_id=7&limit=2&offset={o}", headers=AUTH).json["data"]]
    assert pages == scrambled, pages
    assert c.call("POST", "/_fake/config", {"list_order": "oldest_first"}).json["list_order"] == "oldest_first"
    assert [x["text"] for x in c.call("GET", "/v1/messages?client_id=7", headers=AUTH).json["data"]][0] == "m0"
    assert c.call("POST", "/_fake/config", {"list_order": "sideways"}).status == 400
    c.call("POST", "/_fake/config", {"list_order": "newest_first"})
    r = c.call("GET", "/v1/messages?client_id=7&limit=2&offset=1", headers=AUTH)
    assert r.status == 200 and r.json["status"] == "success"
    assert [m["text"] for m in r.json["data"]] == ["m3", "m2"], r.json
    assert r.json["meta"] == {"total": 5, "limit": 2, "offset": 1}
    m = r.json["data"][0]
    assert m["external_id"] == "e3" and m["client_id"] == 7 and m["type"] == "to_client"
    assert isinstance(m["id"], int) and m["created"].endswith("UTC")
    # only the fields the real list is known to carry (C# SDK Message type) plus external_id, which is switchable
    assert set(m) == {"id", "text", "video", "photo", "coordinates", "transport", "type", "read", "created", "audio",
                      "pdf", "remote_id", "recipient_status", "operator_id", "channel_id", "dialog_id", "client_id",
                      "attachments", "extra_data", "external_id"}, sorted(m)
    r = c.call("GET", "/v1/messages?client_id=7", headers=AUTH)
    assert [x["text"] for x in r.json["data"]] == ["m4", "m3", "m2", "m1", "m0"]
    assert c.call("GET", "/v1/messages?client_id=x", headers=AUTH).status == 400
    assert c.call("GET", "/v1/messages?limit=0", headers=AUTH).status == 400
    assert c.call("POST", "/_fake/config", {"external_id_in_list": False}).json["external_id_in_list"] is False
    listed = c.call("GET", "/v1/messages?client_id=7", headers=AUTH).json["data"]
    assert len(listed) == 5 and all("external_id" not in x for x in listed)
    assert c.call("POST", "/_fake/config", {"external_id_in_list": "no"}).status == 400
    assert delivered(c, 7)[0]["external_id"] == "e0"                # still recorded for the tests' own checks
    c.ctl("POST", "reset")
    assert c.call("POST", "/_fake/config", {}).json == {"list_order": "scrambled", "external_id_in_list": True,
                                                        "webhook_url": None, "echo_timing": "after_response",
                                                        "external_id_in_hooks": True}


def t_recording_and_reset(c):
    send(c, "rec", external_id="r1")
    c.call("GET", "/v1/messages?client_id=7&limit=3", headers=AUTH)
    cs = c.calls()
    assert [c["method"] for c in cs] == ["POST", "GET"], cs   # control calls not recorded
    post, get = cs
    assert post["path"] == "/v1/messages" and post["json"]["external_id"] == "r1" and post["is_json"]
    assert json.loads(post["body"])["text"] == "rec" and post["headers"]["Authorization"] == TOKEN
    assert post["status"] == 200 and post["fault"] is None and post["seq"] < get["seq"]
    assert post["t_mono"] <= get["t_mono"] and abs(post["t_wall"] - time.time()) < 60
    assert get["query"] == {"client_id": "7", "limit": "3"} and get["json"] is None
    assert [c["method"] for c in c.calls("?path=/v1/messages&method=get")] == ["GET"]
    assert [c["seq"] for c in c.calls(f"?since={post['seq']}")] == [get["seq"]]
    assert c.call("DELETE", "/_fake/calls").status == 200 and c.calls() == []
    send(c, "after")
    assert c.calls()[0]["seq"] > get["seq"]                     # seq keeps counting
    assert c.call("POST", "/_fake/reset").status == 200 and c.calls() == [] and delivered(c) == []


def t_fault_status(c):
    c.fault(route="/v1/messages", method="POST", mode="status", status=503,
          body={"status": "error", "message": "maintenance"}, headers={"X-Fake": "1"})
    r = send(c, "x")
    assert r.status == 503 and r.json["message"] == "maintenance" and r.headers["x-fake"] == "1"
    assert delivered(c) == [] and c.calls()[0]["fault"] == "status" and c.calls()[0]["status"] == 503
    assert send(c, "y").status == 200


def t_fault_retry_after(c):
    c.fault(route="/v1/messages", mode="retry_after", seconds=3)
    r = send(c, "x")
    assert r.status == 429 and r.headers["retry-after"] == "3" and r.json == RATE_LIMIT
    assert delivered(c) == []


def t_fault_delay_applies(c):
    c.fault(route="/v1/messages", method="POST", mode="delay", seconds=0.5)
    t0 = time.monotonic()
    r = send(c, "slow")
    assert time.monotonic() - t0 >= 0.5 and r.status == 200
    assert [m["text"] for m in delivered(c)] == ["slow"]
    # client gives up before the answer: the message is still applied
    c.fault(route="/v1/messages", method="POST", mode="delay", seconds=1.0)
    expect_timeout(lambda: c.call("POST", "/v1/messages", {"client_id": 7, "text": "timed-out"}, AUTH, timeout=0.3))
    time.sleep(1.0)
    assert [m["text"] for m in delivered(c)] == ["slow", "timed-out"]
    assert c.calls()[-1]["fault"] == "delay"


def t_fault_hang_then_drop(c):
    c.fault(route="/v1/messages", mode="hang_then_drop", seconds=0.4)
    t0 = time.monotonic()
    expect_no_response(lambda: send(c, "lost"))
    assert time.monotonic() - t0 >= 0.4 and delivered(c) == []
    c = c.calls()[0]
    assert c["fault"] == "hang_then_drop" and c["status"] is None


def t_fault_drop(c):
    c.fault(route="/v1/messages", mode="drop")
    expect_no_response(lambda: send(c, "lost"))
    assert delivered(c) == [] and c.calls()[0]["fault"] == "drop"
    assert send(c, "ok").status == 200


def t_fault_drop_after_apply(c):
    c.fault(route="/v1/messages", mode="drop_after_apply")
    expect_no_response(lambda: send(c, "applied", external_id="a1"))
    assert [m["external_id"] for m in delivered(c)] == ["a1"]
    r = c.call("GET", "/v1/messages?client_id=7", headers=AUTH)   # the bot's reconciliation path
    assert [m["external_id"] for m in r.json["data"]] == ["a1"]


def t_fault_html(c):
    c.fault(route="/v1/messages", mode="html")
    r = send(c, "x")
    assert r.status == 502 and r.headers["content-type"].startswith("text/html") and b"<html>" in r.raw
    expect_invalid_json(r)
    assert delivered(c) == []


def t_fault_truncated(c):
    c.fault(route="/v1/messages", mode="truncated")
    r = send(c, "x")
    assert r.status == 200 and r.raw and int(r.headers["content-length"]) == len(r.raw)
    expect_invalid_json(r)
    assert delivered(c) == []
    c.fault(route="/v1/messages", mode="truncated", apply=True)   # applied, real answer cut
    r = send(c, "y")
    assert r.raw.startswith(b'{"status": "success"') and [m["text"] for m in delivered(c)] == ["y"]
    c.fault(route="/v1/messages", mode="truncated", short_read=True)
    conn = c.raw_conn()
    conn.request("POST", "/v1/messages", json.dumps({"client_id": 7, "text": "z"}), AUTH)
    try:
        conn.getresponse().read()
        raise AssertionError("expected IncompleteRead")
    except http.client.IncompleteRead:
        pass
    conn.close()


def t_fault_empty(c):
    c.fault(route="/v1/messages", mode="empty")
    r = send(c, "x")
    assert r.status == 200 and r.raw == b"" and r.headers["content-length"] == "0"
    assert delivered(c) == []


def t_fault_error200(c):
    c.fault(route="/v1/messages", mode="error200")
    r = send(c, "x")
    assert r.status == 200 and r.json == RATE_LIMIT and delivered(c) == []


def t_fault_unauthorized(c):
    c.fault(route="/v1/messages", mode="unauthorized")
    r = send(c, "x")
    assert r.status == 401 and r.json["message"] == "You need to auth" and delivered(c) == []


def t_fault_generic_additions(c):
    """fakelib modes added for the other fakes, checked against Chat2Desk too."""
    c.fault(route="/v1/messages", method="POST", mode="delay_after_apply", seconds=0.6)
    expect_timeout(lambda: c.call("POST", "/v1/messages", {"client_id": 7, "text": "early"}, AUTH, timeout=0.2))
    assert [m["text"] for m in delivered(c)] == ["early"]          # applied before the answer
    time.sleep(0.6)
    c.fault(route="/v1/messages", mode="content_type", content_type="text/html")
    r = send(c, "ct")
    assert r.status == 200 and r.headers["content-type"] == "text/html" and r.json["status"] == "success"
    c.fault(route="/v1/messages", mode="cut_body", bytes=10)
    expect_no_response(lambda: send(c, "cut"))
    c.fault(route="/v1/messages", mode="drop_after_apply", seconds=0.2)
    expect_no_response(lambda: send(c, "late-drop"))
    assert [m["text"] for m in delivered(c)] == ["early", "ct", "cut", "late-drop"]
    c.fault(route="/v1/messages", mode="status", status=500)       # Chat2Desk keeps an empty default body
    assert send(c, "x").raw == b""
    before = c.call("GET", "/_fake/clock").json["now"]
    assert c.call("POST", "/_fake/clock", {"advance": 100}).json["offset"] == 100
    assert c.call("GET", "/_fake/clock").json["now"] - before >= 100
    assert c.call("POST", "/_fake/clock", {"advance": -1}).status == 400
    c.ctl("POST", "reset")
    assert c.call("GET", "/_fake/clock").json["offset"] == 0


def t_times_and_order(c):
    c.fault(route="/v1/messages", method="POST", mode="status", status=500, times=2)
    c.fault(route="/v1/messages", method="POST", mode="status", status=503)
    assert len(c.call("GET", "/_fake/faults").json) == 2
    assert [send(c, f"t{i}").status for i in range(5)] == [500, 500, 503, 200, 200]
    assert c.call("GET", "/_fake/faults").json == []
    assert [c["fault"] for c in c.calls()] == ["status"] * 3 + [None] * 2
    assert [m["text"] for m in delivered(c)] == ["t3", "t4"]


def t_skip_lets_requests_through_first(c):
    c.fault(route="/v1/messages", method="POST", mode="status", status=500, skip=2)
    assert [send(c, f"s{i}").status for i in range(4)] == [200, 200, 500, 200]
    assert [m["text"] for m in delivered(c)] == ["s0", "s1", "s3"]
    assert c.call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "drop", "skip": -1}).status == 400


def t_probability_applies_to_a_random_share(c):
    c.fault(route="/v1/messages", method="POST", mode="status", status=500, times=1000, probability=0.5)
    statuses = [send(c, f"p{i}").status for i in range(200)]
    assert set(statuses) == {200, 500} and 50 < statuses.count(500) < 150, statuses.count(500)
    assert len(delivered(c)) == statuses.count(200)
    assert c.call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "drop", "probability": 0}).status == 400


def t_fault_filters_and_clear(c):
    c.fault(route="/v1/messages", method="GET", mode="status", status=500)
    assert send(c, "post-unaffected").status == 200                 # method filter
    assert c.call("GET", "/v1/messages", headers=AUTH).status == 500
    c.fault(route="/v1/other", mode="drop")
    assert send(c, "route-unaffected").status == 200                # route filter
    assert c.call("DELETE", "/_fake/faults").status == 200 and c.call("GET", "/_fake/faults").json == []
    c.fault(route="*", mode="status", status=418, times=1)
    assert send(c, "any").status == 418
    assert c.call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "nope"}).status == 400
    assert c.call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "drop", "times": 0}).status == 400
    assert c.call("POST", "/_fake/faults", {"mode": "drop"}).status == 400


def t_keep_alive(c):
    conn = c.raw_conn()
    conn.request("GET", "/_fake/health")
    r = conn.getresponse()
    r.read()
    sock = conn.sock
    assert r.version == 11 and r.getheader("Content-Length") and sock is not None
    conn.request("POST", "/v1/messages", json.dumps({"client_id": 7, "text": "ka"}), AUTH)
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["status"] == "success"
    assert conn.sock is sock, "connection was not kept alive"
    conn.close()


class HookReceiver:
    """A bot's webhook endpoint on a free port: records each POSTed JSON body, answers `status` (200)."""

    def __init__(self, status=200):
        self.bodies, self.status, received = [], status, self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(received.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/chat2desk/secret"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.bodies) >= count, (count, self.bodies)
        return self.bodies

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def with_receiver(test):
    def wrapped(c):
        receiver = HookReceiver()
        try:
            c.ctl("POST", "config", {"webhook_url": receiver.url})
            test(c, receiver)
        finally:
            receiver.close()
    wrapped.__name__ = test.__name__
    return wrapped


@with_receiver
def t_outbox_hooks_echo_every_send(c, receiver):
    ids = [send(c, f"reply {i}", client_id=7, external_id=f"outbox-{i}").json["data"]["message_id"] for i in range(3)]
    comment = send(c, "internal note", client_id=7, type="comment").json["data"]["message_id"]
    hooks = receiver.wait(4)
    assert [h["hook_type"] for h in hooks] == ["outbox"] * 4
    assert [h["message_id"] for h in hooks] == ids + [comment], hooks      # the ids the sends returned, in order
    assert [h["type"] for h in hooks] == ["to_client"] * 3 + ["comment"]
    assert [h["external_id"] for h in hooks[:3]] == ["outbox-0", "outbox-1", "outbox-2"]
    assert hooks[0]["client_id"] == 7 and hooks[0]["text"] == "reply 0" and hooks[0]["operator_id"] is None
    assert hooks[0]["client"]["id"] == 7 and hooks[0]["event_time"].endswith("Z")
    assert all(h["status"] == 200 for h in c.ctl("GET", "hooks?client_id=7"))
    assert send(c, "x", headers={}).status == 401                           # a refused send echoes nothing
    time.sleep(0.2)
    assert len(receiver.bodies) == 4


@with_receiver
def t_operator_message_and_close_dialog(c, receiver):
    mine = send(c, "bot reply", client_id=9).json["data"]
    r = c.call("POST", "/_fake/operator_message", {"client_id": 9, "text": "Здравствуйте, я оператор"})
    assert r.status == 200, r
    closed = c.ctl("POST", "close_dialog", {"client_id": 9})
    hooks = receiver.wait(3)
    assert [h["hook_type"] for h in hooks] == ["outbox", "outbox", "close_dialog"]
    operator = hooks[1]
    assert operator["message_id"] == r.json["message_id"] != mine["message_id"]
    assert operator["type"] == "to_client" and operator["operator_id"] and operator["external_id"] is None
    assert operator["text"] == "Здравствуйте, я оператор" and operator["dialog_id"] == mine["dialog_id"]
    assert hooks[2]["client_id"] == 9 and hooks[2]["dialog_id"] == closed["dialog_id"] == mine["dialog_id"]
    assert [m["text"] for m in delivered(c, 9)] == ["bot reply", "Здравствуйте, я оператор"]
    assert send(c, "after close", client_id=9).json["data"]["dialog_id"] != mine["dialog_id"]  # a new dialog
    for bad in ({"client_id": 9}, {"client_id": "x", "text": "hi"}, {"client_id": 9, "text": " "}):
        assert c.call("POST", "/_fake/operator_message", bad).status == 400, bad
    assert c.call("POST", "/_fake/close_dialog", {}).status == 400


@with_receiver
def t_echo_before_response(c, receiver):
    """The race: the echo reaches the bot before the send's response does."""
    c.ctl("POST", "config", {"echo_timing": "before_response"})
    receiver.status = 503                                                 # a failed delivery is recorded
    r = send(c, "racy", client_id=5)
    assert len(receiver.bodies) == 1 and receiver.bodies[0]["message_id"] == r.json["data"]["message_id"]
    assert c.ctl("GET", "hooks")[0]["status"] == 503
    assert c.call("POST", "/_fake/config", {"echo_timing": "sideways"}).status == 400
    assert c.call("POST", "/_fake/config", {"webhook_url": 5}).status == 400
    c.ctl("POST", "config", {"external_id_in_hooks": False})
    send(c, "untagged echo", client_id=5, external_id="outbox-9")
    assert receiver.bodies[-1]["external_id"] is None and receiver.bodies[-1]["text"] == "untagged echo"
    assert c.call("POST", "/_fake/config", {"external_id_in_hooks": "no"}).status == 400


def t_hooks_without_url_are_recorded(c):
    send(c, "nobody listens", client_id=4)
    hooks = c.ctl("GET", "hooks")
    assert len(hooks) == 1 and hooks[0]["error"] == "no webhook url configured" and hooks[0]["status"] is None


def t_concurrency(c):
    results = []
    ts = [threading.Thread(target=lambda i=i: results.append(send(c, f"c{i}").json["data"]["message_id"]))
          for i in range(20)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(results) == list(range(1, 21)) and len(delivered(c)) == 20 and len(c.calls()) == 20


def main():
    """This module is the Chat2Desk suite; it runs first, then the other fakes' suites, under one summary."""
    suites = [sys.modules[__name__]] + [importlib.import_module(name) for name in OTHER_SUITES]
    finish(*run_modules(suites))


if __name__ == "__main__":
    main()
