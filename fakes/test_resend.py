#!/usr/bin/env python3
"""Self-test for the Resend fake. Run: python3 fakes/test_resend.py (also run by test_fakes.py)."""
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testkit import expect_invalid_json, expect_no_response, expect_timeout, main_for  # noqa: E402

KEY = "re_test_123456"
AUTH = {"Authorization": "Bearer " + KEY}
SCRIPT, NAME = "resend.py", "resend"
ARGS = ["--api-key", KEY]
EMAIL = {"from": "Academy <noreply@example.com>", "to": "lead@example.org",
         "subject": "Заявка принята", "html": "<p>Спасибо!</p>"}


def send(c, body=None, key=None, headers=AUTH, **kw):
    h = dict(headers)
    if key is not None:
        h["Idempotency-Key"] = key
    return c.call("POST", "/emails", EMAIL if body is None else body, h, **kw)


def sent(c, query=""):
    return c.ctl("GET", "emails" + query)


def unlimited(c):
    c.ctl("POST", "config", {"rate_limit": 0})


def t_send_success(c):
    r = send(c)
    assert r.status == 200 and r.headers["content-type"] == "application/json", r
    eid = r.json["id"]
    assert len(eid) == 36 and eid.count("-") == 4 and set(r.json) == {"id"}
    for h in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
        assert h in r.headers, (h, r.headers)
    assert r.headers["ratelimit-limit"] == "2" and r.headers["ratelimit-remaining"] == "1"
    unlimited(c)   # GET /emails/{id} counts against the same per-second budget
    es = sent(c)
    assert len(es) == 1 and es[0]["id"] == eid and es[0]["to"] == ["lead@example.org"]
    assert es[0]["subject"] == "Заявка принята" and es[0]["html"] == "<p>Спасибо!</p>" and es[0]["text"] is None
    assert c.ctl("GET", "messages") == es               # alias
    g = c.call("GET", f"/emails/{eid}", headers=AUTH)
    assert g.status == 200 and g.json["object"] == "email" and g.json["id"] == eid and g.json["to"] == ["lead@example.org"]
    assert c.call("GET", "/emails/nope", headers=AUTH).json["name"] == "not_found"
    r = send(c, {"from": "a@example.com", "to": ["x@example.org", "Y <y@example.org>"], "subject": "s",
                 "text": "plain", "cc": "c@example.org", "reply_to": ["r@example.org"]})
    assert r.status == 200, r
    assert [e["to"] for e in sent(c, "?to=y@example.org")] == [["x@example.org", "Y <y@example.org>"]]
    assert len(sent(c, "?to=c@example.org")) == 1 and sent(c, "?to=nobody@example.org") == []


def t_auth(c):
    r = send(c, headers={})
    assert r.status == 401 and r.json["name"] == "missing_api_key" and r.json["statusCode"] == 401, r
    for h in ({"Authorization": "Bearer re_wrong"}, {"Authorization": KEY}, {"Authorization": "Basic " + KEY}):
        r = send(c, headers=h)
        assert r.status == 403 and r.json == {"statusCode": 403, "name": "invalid_api_key",
                                              "message": "API key is invalid"}, r
    assert "ratelimit-limit" in r.headers            # always emitted
    assert sent(c) == []


def t_validation(c):
    unlimited(c)
    cases = [({k: v for k, v in EMAIL.items() if k != "from"}, 422, "missing_required_field", "`from`"),
             ({k: v for k, v in EMAIL.items() if k != "to"}, 422, "missing_required_field", "`to`"),
             ({k: v for k, v in EMAIL.items() if k != "subject"}, 422, "missing_required_field", "`subject`"),
             ({k: v for k, v in EMAIL.items() if k != "html"}, 422, "missing_required_field", "`html`"),
             ({**EMAIL, "from": "not an address"}, 422, "validation_error", "`from`"),
             ({**EMAIL, "to": ["ok@example.org", "bad"]}, 422, "validation_error", "`to`"),
             ({**EMAIL, "to": 5}, 422, "validation_error", "`to`"),
             ({**EMAIL, "cc": "nope"}, 422, "validation_error", "`cc`"),
             ({**EMAIL, "to": [f"u{i}@example.org" for i in range(51)]}, 422, "validation_error", "50"),
             ([1, 2], 422, "validation_error", "object")]
    for body, status, name, needle in cases:
        r = send(c, body)
        assert r.status == status and r.json["name"] == name and r.json["statusCode"] == status, (body, r)
        assert needle in r.json["message"], (needle, r.json)
    r = c.call("POST", "/emails", b"{broken", {**AUTH, "Content-Type": "application/json"})
    assert r.status == 400 and r.json["name"] == "validation_error", r
    assert sent(c) == []
    c.ctl("POST", "config", {"verified_domains": ["academy.test"]})
    r = send(c)
    assert r.status == 403 and r.json["name"] == "validation_error" and "not verified" in r.json["message"], r
    assert send(c, {**EMAIL, "from": "Academy <hi@academy.test>"}).status == 200


def t_idempotency(c):
    unlimited(c)
    r1 = send(c, key="lead-confirmation/1001")
    r2 = send(c, key="lead-confirmation/1001")
    assert r1.status == r2.status == 200 and r1.json == r2.json, (r1, r2)
    assert len(sent(c)) == 1 and sent(c)[0]["idempotency_key"] == "lead-confirmation/1001"
    keys = c.ctl("GET", "idempotency")
    assert keys["lead-confirmation/1001"]["replays"] == 1 and keys["lead-confirmation/1001"]["body"] == r1.json
    r3 = send(c, {**EMAIL, "subject": "other"}, key="lead-confirmation/1001")
    assert r3.status == 409 and r3.json["name"] == "invalid_idempotent_request", r3
    r4 = send(c, key="lead-confirmation/1002")
    assert r4.status == 200 and r4.json["id"] != r1.json["id"] and len(sent(c)) == 2
    assert send(c, key="k" * 256).status == 200
    for bad in ("k" * 257, ""):
        r = send(c, key=bad)
        assert r.status == 400 and r.json["name"] == "invalid_idempotency_key", r
    assert len(sent(c)) == 3
    # a failed (invalid) first attempt is not stored: the corrected retry sends
    assert send(c, {**EMAIL, "to": "bad"}, key="fix-me").status == 422
    assert send(c, key="fix-me").status == 200 and len(sent(c)) == 4
    # 24 h later the key is forgotten and the same request sends again
    c.ctl("POST", "clock", {"advance": 86401})
    r5 = send(c, key="lead-confirmation/1001")
    assert r5.status == 200 and r5.json["id"] != r1.json["id"] and len(sent(c)) == 5


def t_concurrent_idempotent_requests(c):
    unlimited(c)
    # scripted: the answer Resend gives while a first request with the key is still in progress
    c.ctl("POST", "faults", {"route": "/emails", "mode": "concurrent_idempotent_requests"})
    r = send(c, key="chain/1")
    assert r.status == 409 and r.json == {"statusCode": 409, "name": "concurrent_idempotent_requests",
                                          "message": r.json["message"]} and "in progress" in r.json["message"], r
    assert sent(c) == [] and send(c, key="chain/1").status == 200 and len(sent(c)) == 1
    # modelled: a slow first request holds its key; a second one meanwhile is refused, later ones replay
    c.ctl("POST", "faults", {"route": "/emails", "mode": "slow_send", "seconds": 0.6})
    first = {}
    slow = threading.Thread(target=lambda: first.update(r=send(c, key="chain/2")))
    slow.start()
    time.sleep(0.2)
    r = send(c, key="chain/2")
    assert r.status == 409 and r.json["name"] == "concurrent_idempotent_requests", r
    assert send(c, key="chain/3").status == 200         # other keys are not held up
    slow.join()
    assert first["r"].status == 200, first
    again = send(c, key="chain/2")
    assert again.status == 200 and again.json == first["r"].json
    assert [e["idempotency_key"] for e in sent(c)] == ["chain/1", "chain/3", "chain/2"]


def t_rate_limit(c):
    rs = [send(c, key=f"rl-{i}") for i in range(3)]
    assert [r.status for r in rs] == [200, 200, 429], rs
    assert [r.headers["ratelimit-remaining"] for r in rs] == ["1", "0", "0"]
    r = rs[2]
    assert r.json["name"] == "rate_limit_exceeded" and r.headers["retry-after"] == "1"
    assert int(r.headers["ratelimit-reset"]) >= 1 and len(sent(c)) == 2
    time.sleep(int(r.headers["retry-after"]) + 0.05)
    assert send(c, key="rl-2").status == 200 and len(sent(c)) == 3   # retried with the same key
    c.ctl("POST", "config", {"rate_limit": 0})
    assert all(send(c).status == 200 for _ in range(5))
    assert c.call("POST", "/_fake/config", {"rate_limit": -1}).status == 400


def t_fault_retry_after(c):
    c.fault(route="/emails", method="POST", mode="retry_after", seconds=7)
    r = send(c, key="ra")
    assert r.status == 429 and r.headers["retry-after"] == "7" and r.json["name"] == "rate_limit_exceeded", r
    assert "ratelimit-remaining" in r.headers and sent(c) == []
    assert send(c, key="ra").status == 200 and len(sent(c)) == 1


def t_fault_quota(c):
    c.fault(route="/emails", mode="daily_quota")
    c.fault(route="/emails", mode="monthly_quota")
    assert send(c).json["name"] == "daily_quota_exceeded"
    r = send(c)
    assert r.status == 429 and r.json["name"] == "monthly_quota_exceeded" and sent(c) == []


def t_fault_500_then_success(c):
    unlimited(c)
    c.fault(route="/emails", method="POST", mode="status", status=500, times=2)
    r = send(c, key="five")
    assert r.status == 500 and r.json == {"statusCode": 500, "name": "internal_server_error",
                                          "message": "An unexpected error occurred."}, r
    assert send(c, key="five").status == 500 and sent(c) == []
    assert send(c, key="five").status == 200 and len(sent(c)) == 1
    c.fault(route="/emails", mode="status", status=422)
    assert send(c).json["name"] == "validation_error"


def t_fault_500_after_apply(c):
    """The email went out but the client saw a 500: the retry with the same key must not resend."""
    unlimited(c)
    c.fault(route="/emails", mode="status", status=500, apply=True)
    assert send(c, key="applied").status == 500 and len(sent(c)) == 1
    r = send(c, key="applied")
    assert r.status == 200 and r.json["id"] == sent(c)[0]["id"] and len(sent(c)) == 1


def t_fault_slow(c):
    unlimited(c)
    c.fault(route="/emails", mode="delay", seconds=1.0)
    expect_timeout(lambda: send(c, key="slow", timeout=0.3))
    time.sleep(1.0)
    assert len(sent(c)) == 1                            # applied although the client gave up
    r = send(c, key="slow")
    assert r.status == 200 and r.json["id"] == sent(c)[0]["id"] and len(sent(c)) == 1


def t_fault_drop(c):
    unlimited(c)
    c.fault(route="/emails", mode="drop")
    expect_no_response(lambda: send(c, key="d1"))
    assert sent(c) == []
    c.fault(route="/emails", mode="drop_after_apply")
    expect_no_response(lambda: send(c, key="d2"))
    assert len(sent(c)) == 1
    assert send(c, key="d2").json["id"] == sent(c)[0]["id"] and len(sent(c)) == 1
    c.fault(route="/emails", mode="hang_then_drop", seconds=0.3)
    expect_no_response(lambda: send(c, key="d3"))
    assert len(sent(c)) == 1


def t_fault_bad_bodies(c):
    unlimited(c)
    c.fault(route="/emails", mode="truncated", apply=True)
    r = send(c, key="tr")
    assert r.status == 200 and r.raw.startswith(b'{"id"') and len(sent(c)) == 1
    expect_invalid_json(r)
    c.fault(route="/emails", mode="html", status=502)
    r = send(c)
    assert r.status == 502 and r.headers["content-type"].startswith("text/html")
    c.fault(route="/emails", mode="content_type", content_type="text/plain")
    r = send(c)
    assert r.status == 200 and r.headers["content-type"] == "text/plain" and "id" in r.json
    c.fault(route="/emails", mode="empty")
    assert send(c).raw == b"" and len(sent(c)) == 2
    c.fault(route="/emails", mode="cut_body")
    expect_no_response(lambda: send(c, key="cut"))
    assert len(sent(c)) == 3


if __name__ == "__main__":
    main_for(SCRIPT, ARGS, globals(), NAME)
