#!/usr/bin/env python3
"""Self-test for fakelib + every fake. Run: python3 fakes/test_fakes.py

Chat2Desk tests live here; the other fakes' tests live in test_<fake>.py (each also runnable alone)
and are run from main() below."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
OTHER_SUITES = ["test_resend", "test_telegram", "test_zoom", "test_openai"]   # modules: SCRIPT, ARGS, NAME, t_*
TOKEN = "test-token-123"
AUTH = {"Authorization": TOKEN}
RATE_LIMIT = {"status": "error", "message": "Number of API requests exceeded"}
BASE = None
PORT = None


class Resp:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self):
        return json.loads(self.raw)


def call(method, path, body=None, headers=None, timeout=5.0):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Resp(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def send(text="hi", client_id=7, headers=AUTH, **extra):
    return call("POST", "/v1/messages", {"client_id": client_id, "text": text, **extra}, headers)


def fault(**spec):
    r = call("POST", "/_fake/faults", spec)
    assert r.status == 200, (r.status, r.raw)


def delivered(client_id=7):
    return call("GET", f"/_fake/messages?client_id={client_id}").json


def calls(query=""):
    return call("GET", "/_fake/calls" + query).json


def expect_no_response(fn):
    """fn() must fail because the server closed the connection without answering."""
    try:
        r = fn()
    except urllib.error.URLError as e:
        err = e.reason
    except (ConnectionError, http.client.HTTPException) as e:
        err = e
    else:
        raise AssertionError(f"expected a dropped connection, got HTTP {r.status}")
    assert isinstance(err, (ConnectionError, http.client.HTTPException)), repr(err)
    return err


# ---------------------------------------------------------------------------------------
def t_health():
    r = call("GET", "/_fake/health")
    assert r.status == 200 and r.json["ok"] and r.json["name"] == "chat2desk"


def t_auth_rejected():
    for hdrs in ({}, {"Authorization": "wrong"}, {"Authorization": "Bearer " + TOKEN}):
        r = send(headers=hdrs)
        assert r.status == 401, r.status
        assert r.json == {"status": "error", "message": "You need to auth"}, r.json
    assert call("GET", "/v1/messages?client_id=7").status == 401
    assert delivered() == []


def t_validation():
    cases = [({"text": "x"}, "client_id"), ({"client_id": "abc", "text": "x"}, "client_id"),
             ({"client_id": True, "text": "x"}, "client_id"), ({"client_id": 7}, "text"),
             ({"client_id": 7, "text": ""}, "text"), ({"client_id": 7, "text": 5}, "text"),
             ({"client_id": 7, "text": "x", "type": "bogus"}, "type")]
    for body, field in cases:
        r = call("POST", "/v1/messages", body, AUTH)
        assert r.status == 400, (body, r.status)
        assert r.json["status"] == "error" and r.json["message"] and field in r.json["errors"], r.json
    r = call("POST", "/v1/messages", b"{not json", AUTH)
    assert r.status == 400 and r.json["status"] == "error"
    assert delivered() == []


def t_send_success():
    r = send("hello", client_id=7, external_id="ext-1")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    d = r.json["data"]
    assert r.json["status"] == "success" and d["message_id"] == 1 and d["client_id"] == 7
    assert d["type"] == "to_client" and d["channel_id"] == 1 and d["transport"] == "telegram"
    assert isinstance(d["dialog_id"], int) and isinstance(d["request_id"], int)
    r2 = send("second", client_id="7")            # numeric string accepted
    assert r2.status == 200 and r2.json["data"]["client_id"] == 7 and r2.json["data"]["message_id"] == 2
    assert r2.json["data"]["dialog_id"] == d["dialog_id"]
    r3 = call("POST", "/v1/messages", {"client_id": 8, "attachment": "https://x/y.png"}, AUTH)
    assert r3.status == 200, r3.raw
    msgs = delivered(7)
    assert [m["text"] for m in msgs] == ["hello", "second"]
    assert msgs[0]["external_id"] == "ext-1" and msgs[1]["external_id"] is None
    assert len(delivered(8)) == 1 and len(call("GET", "/_fake/messages").json) == 3


def t_list_messages():
    for i in range(5):
        send(f"m{i}", external_id=f"e{i}")
    send("other", client_id=9)
    # the default order is stable but not chronological (the real order is not documented)
    scrambled = [x["text"] for x in call("GET", "/v1/messages?client_id=7", headers=AUTH).json["data"]]
    assert sorted(scrambled) == ["m0", "m1", "m2", "m3", "m4"], scrambled
    assert scrambled not in (["m4", "m3", "m2", "m1", "m0"], ["m0", "m1", "m2", "m3", "m4"]), scrambled
    pages = [x["text"] for o in (0, 2, 4)
             for x in call("GET", f"/v1/messages?client_id=7&limit=2&offset={o}", headers=AUTH).json["data"]]
    assert pages == scrambled, pages
    assert call("POST", "/_fake/config", {"list_order": "oldest_first"}).json["list_order"] == "oldest_first"
    assert [x["text"] for x in call("GET", "/v1/messages?client_id=7", headers=AUTH).json["data"]][0] == "m0"
    assert call("POST", "/_fake/config", {"list_order": "sideways"}).status == 400
    call("POST", "/_fake/config", {"list_order": "newest_first"})
    r = call("GET", "/v1/messages?client_id=7&limit=2&offset=1", headers=AUTH)
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
    r = call("GET", "/v1/messages?client_id=7", headers=AUTH)
    assert [x["text"] for x in r.json["data"]] == ["m4", "m3", "m2", "m1", "m0"]
    assert call("GET", "/v1/messages?client_id=x", headers=AUTH).status == 400
    assert call("GET", "/v1/messages?limit=0", headers=AUTH).status == 400
    assert call("POST", "/_fake/config", {"external_id_in_list": False}).json["external_id_in_list"] is False
    listed = call("GET", "/v1/messages?client_id=7", headers=AUTH).json["data"]
    assert len(listed) == 5 and all("external_id" not in x for x in listed)
    assert call("POST", "/_fake/config", {"external_id_in_list": "no"}).status == 400
    assert delivered(7)[0]["external_id"] == "e0"                # still recorded for the tests' own checks
    call("POST", "/_fake/reset")
    assert call("POST", "/_fake/config", {}).json == {"list_order": "scrambled", "external_id_in_list": True}


def t_recording_and_reset():
    send("rec", external_id="r1")
    call("GET", "/v1/messages?client_id=7&limit=3", headers=AUTH)
    cs = calls()
    assert [c["method"] for c in cs] == ["POST", "GET"], cs   # control calls not recorded
    post, get = cs
    assert post["path"] == "/v1/messages" and post["json"]["external_id"] == "r1" and post["is_json"]
    assert json.loads(post["body"])["text"] == "rec" and post["headers"]["Authorization"] == TOKEN
    assert post["status"] == 200 and post["fault"] is None and post["seq"] < get["seq"]
    assert post["t_mono"] <= get["t_mono"] and abs(post["t_wall"] - time.time()) < 60
    assert get["query"] == {"client_id": "7", "limit": "3"} and get["json"] is None
    assert [c["method"] for c in calls("?path=/v1/messages&method=get")] == ["GET"]
    assert [c["seq"] for c in calls(f"?since={post['seq']}")] == [get["seq"]]
    assert call("DELETE", "/_fake/calls").status == 200 and calls() == []
    send("after")
    assert calls()[0]["seq"] > get["seq"]                     # seq keeps counting
    assert call("POST", "/_fake/reset").status == 200 and calls() == [] and delivered() == []


def t_fault_status():
    fault(route="/v1/messages", method="POST", mode="status", status=503,
          body={"status": "error", "message": "maintenance"}, headers={"X-Fake": "1"})
    r = send("x")
    assert r.status == 503 and r.json["message"] == "maintenance" and r.headers["x-fake"] == "1"
    assert delivered() == [] and calls()[0]["fault"] == "status" and calls()[0]["status"] == 503
    assert send("y").status == 200


def t_fault_retry_after():
    fault(route="/v1/messages", mode="retry_after", seconds=3)
    r = send("x")
    assert r.status == 429 and r.headers["retry-after"] == "3" and r.json == RATE_LIMIT
    assert delivered() == []


def t_fault_delay_applies():
    fault(route="/v1/messages", method="POST", mode="delay", seconds=0.5)
    t0 = time.monotonic()
    r = send("slow")
    assert time.monotonic() - t0 >= 0.5 and r.status == 200
    assert [m["text"] for m in delivered()] == ["slow"]
    # client gives up before the answer: the message is still applied
    fault(route="/v1/messages", method="POST", mode="delay", seconds=1.0)
    try:
        call("POST", "/v1/messages", {"client_id": 7, "text": "timed-out"}, AUTH, timeout=0.3)
        raise AssertionError("expected a client timeout")
    except (TimeoutError, urllib.error.URLError):
        pass
    time.sleep(1.0)
    assert [m["text"] for m in delivered()] == ["slow", "timed-out"]
    assert calls()[-1]["fault"] == "delay"


def t_fault_hang_then_drop():
    fault(route="/v1/messages", mode="hang_then_drop", seconds=0.4)
    t0 = time.monotonic()
    expect_no_response(lambda: send("lost"))
    assert time.monotonic() - t0 >= 0.4 and delivered() == []
    c = calls()[0]
    assert c["fault"] == "hang_then_drop" and c["status"] is None


def t_fault_drop():
    fault(route="/v1/messages", mode="drop")
    expect_no_response(lambda: send("lost"))
    assert delivered() == [] and calls()[0]["fault"] == "drop"
    assert send("ok").status == 200


def t_fault_drop_after_apply():
    fault(route="/v1/messages", mode="drop_after_apply")
    expect_no_response(lambda: send("applied", external_id="a1"))
    assert [m["external_id"] for m in delivered()] == ["a1"]
    r = call("GET", "/v1/messages?client_id=7", headers=AUTH)   # the bot's reconciliation path
    assert [m["external_id"] for m in r.json["data"]] == ["a1"]


def t_fault_html():
    fault(route="/v1/messages", mode="html")
    r = send("x")
    assert r.status == 502 and r.headers["content-type"].startswith("text/html") and b"<html>" in r.raw
    try:
        r.json
        raise AssertionError("html body parsed as JSON")
    except ValueError:
        pass
    assert delivered() == []


def t_fault_truncated():
    fault(route="/v1/messages", mode="truncated")
    r = send("x")
    assert r.status == 200 and r.raw and int(r.headers["content-length"]) == len(r.raw)
    try:
        r.json
        raise AssertionError("truncated body parsed as JSON")
    except ValueError:
        pass
    assert delivered() == []
    fault(route="/v1/messages", mode="truncated", apply=True)   # applied, real answer cut
    r = send("y")
    assert r.raw.startswith(b'{"status": "success"') and [m["text"] for m in delivered()] == ["y"]
    fault(route="/v1/messages", mode="truncated", short_read=True)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
    conn.request("POST", "/v1/messages", json.dumps({"client_id": 7, "text": "z"}), AUTH)
    try:
        conn.getresponse().read()
        raise AssertionError("expected IncompleteRead")
    except http.client.IncompleteRead:
        pass
    conn.close()


def t_fault_empty():
    fault(route="/v1/messages", mode="empty")
    r = send("x")
    assert r.status == 200 and r.raw == b"" and r.headers["content-length"] == "0"
    assert delivered() == []


def t_fault_error200():
    fault(route="/v1/messages", mode="error200")
    r = send("x")
    assert r.status == 200 and r.json == RATE_LIMIT and delivered() == []


def t_fault_unauthorized():
    fault(route="/v1/messages", mode="unauthorized")
    r = send("x")
    assert r.status == 401 and r.json["message"] == "You need to auth" and delivered() == []


def t_fault_generic_additions():
    """fakelib modes added for the other fakes, checked against Chat2Desk too."""
    fault(route="/v1/messages", method="POST", mode="delay_after_apply", seconds=0.6)
    try:
        call("POST", "/v1/messages", {"client_id": 7, "text": "early"}, AUTH, timeout=0.2)
        raise AssertionError("expected a client timeout")
    except (TimeoutError, urllib.error.URLError):
        pass
    assert [m["text"] for m in delivered()] == ["early"]          # applied before the answer
    time.sleep(0.6)
    fault(route="/v1/messages", mode="content_type", content_type="text/html")
    r = send("ct")
    assert r.status == 200 and r.headers["content-type"] == "text/html" and r.json["status"] == "success"
    fault(route="/v1/messages", mode="cut_body", bytes=10)
    expect_no_response(lambda: send("cut"))
    fault(route="/v1/messages", mode="drop_after_apply", seconds=0.2)
    expect_no_response(lambda: send("late-drop"))
    assert [m["text"] for m in delivered()] == ["early", "ct", "cut", "late-drop"]
    fault(route="/v1/messages", mode="status", status=500)       # Chat2Desk keeps an empty default body
    assert send("x").raw == b""
    before = call("GET", "/_fake/clock").json["now"]
    assert call("POST", "/_fake/clock", {"advance": 100}).json["offset"] == 100
    assert call("GET", "/_fake/clock").json["now"] - before >= 100
    assert call("POST", "/_fake/clock", {"advance": -1}).status == 400
    call("POST", "/_fake/reset")
    assert call("GET", "/_fake/clock").json["offset"] == 0


def t_times_and_order():
    fault(route="/v1/messages", method="POST", mode="status", status=500, times=2)
    fault(route="/v1/messages", method="POST", mode="status", status=503)
    assert len(call("GET", "/_fake/faults").json) == 2
    assert [send(f"t{i}").status for i in range(5)] == [500, 500, 503, 200, 200]
    assert call("GET", "/_fake/faults").json == []
    assert [c["fault"] for c in calls()] == ["status"] * 3 + [None] * 2
    assert [m["text"] for m in delivered()] == ["t3", "t4"]


def t_skip_lets_requests_through_first():
    fault(route="/v1/messages", method="POST", mode="status", status=500, skip=2)
    assert [send(f"s{i}").status for i in range(4)] == [200, 200, 500, 200]
    assert [m["text"] for m in delivered()] == ["s0", "s1", "s3"]
    assert call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "drop", "skip": -1}).status == 400


def t_probability_applies_to_a_random_share():
    fault(route="/v1/messages", method="POST", mode="status", status=500, times=1000, probability=0.5)
    statuses = [send(f"p{i}").status for i in range(200)]
    assert set(statuses) == {200, 500} and 50 < statuses.count(500) < 150, statuses.count(500)
    assert len(delivered()) == statuses.count(200)
    assert call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "drop", "probability": 0}).status == 400


def t_fault_filters_and_clear():
    fault(route="/v1/messages", method="GET", mode="status", status=500)
    assert send("post-unaffected").status == 200                 # method filter
    assert call("GET", "/v1/messages", headers=AUTH).status == 500
    fault(route="/v1/other", mode="drop")
    assert send("route-unaffected").status == 200                # route filter
    assert call("DELETE", "/_fake/faults").status == 200 and call("GET", "/_fake/faults").json == []
    fault(route="*", mode="status", status=418, times=1)
    assert send("any").status == 418
    assert call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "nope"}).status == 400
    assert call("POST", "/_fake/faults", {"route": "/v1/messages", "mode": "drop", "times": 0}).status == 400
    assert call("POST", "/_fake/faults", {"mode": "drop"}).status == 400


def t_keep_alive():
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
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


def t_concurrency():
    results = []
    ts = [threading.Thread(target=lambda i=i: results.append(send(f"c{i}").json["data"]["message_id"]))
          for i in range(20)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(results) == list(range(1, 21)) and len(delivered()) == 20 and len(calls()) == 20


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]


def main():
    global BASE, PORT
    tmp = tempfile.mkdtemp(prefix="fakes-test-")
    port_file = os.path.join(tmp, "var", "chat2desk.port")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "chat2desk.py"), "--port", "0",
                             "--port-file", port_file, "--token", TOKEN])
    passed = failed = 0
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            assert proc.poll() is None and time.monotonic() < deadline, "fake did not start"
            time.sleep(0.02)
        PORT = int(open(port_file).read())
        BASE = f"http://127.0.0.1:{PORT}"
        for t in TESTS:
            call("POST", "/_fake/reset")
            try:
                t()
                passed += 1
                print(f"ok   {t.__name__}")
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}\n{traceback.format_exc()}")
        # SIGTERM: clean exit, port file removed
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=5)
            assert rc == 0 and not os.path.exists(port_file), (rc, os.path.exists(port_file))
            passed += 1
            print("ok   t_sigterm")
        except Exception:
            failed += 1
            print(f"FAIL t_sigterm\n{traceback.format_exc()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    import importlib
    import testkit
    for name in OTHER_SUITES:
        mod = importlib.import_module(name)
        p, f = testkit.run_suite(mod.SCRIPT, mod.ARGS, testkit.tests_of(vars(mod)), mod.NAME)
        passed, failed = passed + p, failed + f
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
