#!/usr/bin/env python3
"""Self-test for the Zoom fake. Run: python3 fakes/test_zoom.py (also run by test_fakes.py)."""
import base64
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testkit import expect_invalid_json, expect_no_response, expect_timeout, main_for  # noqa: E402

ACC, CID, SECRET = "acc-test-1", "cid-test", "secret-test"
SCRIPT, NAME = "zoom.py", "zoom"
ARGS = ["--account-id", ACC, "--client-id", CID, "--client-secret", SECRET, "--user-email", "host@example.com",
        "--daily-limit", "5"]
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{CID}:{SECRET}".encode()).decode()}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MEETING = {"topic": "Пробный урок", "type": 2, "start_time": "2030-02-01T07:00:00Z", "duration": 45,
           "timezone": "Europe/Moscow", "agenda": "lead:1001", "settings": {"join_before_host": True}}


def token(c):
    r = c.call("POST", f"/oauth/token?grant_type=account_credentials&account_id={ACC}", b"", BASIC)
    assert r.status == 200, r
    return r.json["access_token"]


def auth(tok):
    return {"Authorization": "Bearer " + tok}


def create(c, tok, body=None, user="me", **kw):
    return c.call("POST", f"/v2/users/{user}/meetings", MEETING if body is None else body, auth(tok), **kw)


def t_oauth_token(c):
    r = c.call("POST", f"/oauth/token?grant_type=account_credentials&account_id={ACC}", b"", BASIC)
    assert r.status == 200 and r.json["token_type"] == "bearer" and r.json["expires_in"] == 3600, r
    assert r.json["access_token"] and "meeting:write:meeting" in r.json["scope"]
    r2 = c.call("POST", "/oauth/token", f"grant_type=account_credentials&account_id={ACC}", {**BASIC, **FORM})
    assert r2.status == 200 and r2.json["access_token"] != r.json["access_token"]      # form body variant
    bad = {"Authorization": "Basic " + base64.b64encode(f"{CID}:wrong".encode()).decode()}
    for h in ({}, bad, {"Authorization": "Bearer x"}):
        r = c.call("POST", f"/oauth/token?grant_type=account_credentials&account_id={ACC}", b"", h)
        assert r.status == 401 and r.json == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, r
    r = c.call("POST", f"/oauth/token?grant_type=client_credentials&account_id={ACC}", b"", BASIC)
    assert r.status == 400 and r.json["error"] == "unsupported_grant_type"
    for q in ("grant_type=account_credentials", "grant_type=account_credentials&account_id=other"):
        r = c.call("POST", "/oauth/token?" + q, b"", BASIC)
        assert r.status == 400 and r.json["error"] == "invalid_request", r
    assert len(c.ctl("GET", "tokens")) == 2


def t_create_meeting(c):
    tok = token(c)
    r = create(c, tok)
    assert r.status == 201, r
    m = r.json
    assert m["id"] > 2 ** 32 and m["join_url"].startswith("https://") and str(m["id"]) in m["join_url"]
    assert m["start_url"] and m["password"] and m["topic"] == "Пробный урок" and m["agenda"] == "lead:1001"
    assert m["start_time"] == "2030-02-01T07:00:00Z" and m["timezone"] == "Europe/Moscow" and m["duration"] == 45
    assert m["settings"]["join_before_host"] is True and m["host_email"] == "host@example.com" and m["uuid"]
    local = create(c, tok, {**MEETING, "start_time": "2030-02-01T10:00:00", "password": "abc@12"}, user="host@example.com")
    assert local.status == 201 and local.json["start_time"] == "2030-02-01T07:00:00Z", local   # 10:00 Moscow
    assert local.json["password"] == "abc@12" and local.json["id"] != m["id"]
    g = c.call("GET", f"/v2/meetings/{m['id']}", headers=auth(tok))
    assert g.status == 200 and g.json == m
    assert [x["id"] for x in c.ctl("GET", "meetings")] == [m["id"], local.json["id"]]


def t_create_validation(c):
    tok = token(c)
    cases = [({**MEETING, "type": 5}, "type"), ({**MEETING, "type": "x"}, "type"),
             ({**MEETING, "start_time": "01.02.2030 10:00"}, "start_time"),
             ({**MEETING, "start_time": "2030-02-30T10:00:00Z"}, "start_time"),
             ({k: v for k, v in MEETING.items() if k != "start_time"}, "start_time"),
             ({**MEETING, "timezone": "Mars/Olympus"}, "timezone"), ({**MEETING, "duration": 0}, "duration"),
             ({**MEETING, "password": "way-too-long-pass"}, "password"), ({**MEETING, "password": "bad pass"}, "password"),
             ({**MEETING, "topic": "x" * 201}, "topic"), ({**MEETING, "settings": []}, "settings")]
    for body, field in cases:
        r = create(c, tok, body)
        assert r.status == 400 and r.json["code"] == 300 and r.json["errors"][0]["field"] == field, (body, r)
    r = c.call("POST", "/v2/users/me/meetings", b"{nope", {**auth(tok), "Content-Type": "application/json"})
    assert r.status == 400 and r.json["code"] == 300
    r = create(c, tok, user="stranger@example.com")
    assert r.status == 404 and r.json["code"] == 1001, r
    assert create(c, tok, {"type": 1, "topic": "instant"}).status == 201       # no start_time needed
    assert len(c.ctl("GET", "meetings")) == 1


def t_auth_errors(c):
    r = c.call("POST", "/v2/users/me/meetings", MEETING)
    assert r.status == 401 and r.json == {"code": 124, "message": "Invalid access token."}, r
    assert create(c, "forged").json["code"] == 124
    tok = token(c)
    c.ctl("POST", "tokens/expire", {"token": tok})
    r = create(c, tok)
    assert r.status == 401 and r.json == {"code": 124, "message": "Access token is expired."}, r
    tok2 = token(c)                                       # refresh once, retry succeeds
    assert create(c, tok2).status == 201
    c.ctl("POST", "clock", {"advance": 3600})            # natural expiry after expires_in
    assert create(c, tok2).json["message"] == "Access token is expired."
    assert c.ctl("GET", "tokens")[1]["expired"] is True
    assert len(c.ctl("GET", "meetings")) == 1


def t_list_get_patch_delete(c):
    tok = token(c)
    ids = [create(c, tok, {**MEETING, "topic": f"m{i}", "start_time": f"2030-02-0{5 - i}T07:00:00Z",
                           "agenda": f"lead:{i}"}).json["id"] for i in range(3)]
    r = c.call("GET", "/v2/users/me/meetings", headers=auth(tok))
    assert r.status == 200 and r.json["total_records"] == 3, r
    assert [m["topic"] for m in r.json["meetings"]] == ["m2", "m1", "m0"]      # by start_time
    assert {m["agenda"] for m in r.json["meetings"]} == {"lead:0", "lead:1", "lead:2"}
    p1 = c.call("GET", "/v2/users/host@example.com/meetings?type=upcoming&page_size=2", headers=auth(tok)).json
    assert len(p1["meetings"]) == 2 and p1["next_page_token"]
    p2 = c.call("GET", f"/v2/users/me/meetings?type=upcoming&page_size=2&next_page_token={p1['next_page_token']}",
                headers=auth(tok)).json
    assert [m["topic"] for m in p2["meetings"]] == ["m0"] and p2["next_page_token"] == ""
    assert c.call("GET", "/v2/users/me/meetings?type=previous_meetings", headers=auth(tok)).json["total_records"] == 0
    assert c.call("GET", "/v2/users/me/meetings?type=bogus", headers=auth(tok)).status == 400
    r = c.call("PATCH", f"/v2/meetings/{ids[0]}", {"topic": "renamed", "start_time": "2030-03-01T12:00:00",
                                                   "settings": {"waiting_room": False}}, auth(tok))
    assert r.status == 204 and r.raw == b"", r
    g = c.call("GET", f"/v2/meetings/{ids[0]}", headers=auth(tok)).json
    assert g["topic"] == "renamed" and g["start_time"] == "2030-03-01T09:00:00Z" and g["agenda"] == "lead:0"
    assert g["settings"]["waiting_room"] is False and g["settings"]["join_before_host"] is True
    assert c.call("PATCH", f"/v2/meetings/{ids[0]}", {"type": 99}, auth(tok)).status == 400
    assert c.call("DELETE", f"/v2/meetings/{ids[1]}", headers=auth(tok)).status == 204
    r = c.call("GET", f"/v2/meetings/{ids[1]}", headers=auth(tok))
    assert r.status == 404 and r.json["code"] == 3001
    assert c.call("DELETE", f"/v2/meetings/{ids[1]}", headers=auth(tok)).status == 404
    assert c.call("PATCH", "/v2/meetings/1", {"topic": "x"}, auth(tok)).status == 404
    assert c.call("GET", "/v2/users/me/meetings", headers=auth(tok)).json["total_records"] == 2
    assert c.call("GET", "/v2/users/me/meetings").status == 401


def t_daily_limit(c):
    tok = token(c)
    rs = [create(c, tok).status for _ in range(6)]       # --daily-limit 5 (creates + updates)
    assert rs == [201] * 5 + [429], rs
    r = create(c, tok)
    assert r.status == 429 and "daily" in r.json["message"] and "retry-after" not in r.headers
    c.ctl("POST", "clock", {"advance": 86400})
    assert create(c, token(c)).status == 201


def t_fault_rate_limits(c):
    tok = token(c)
    c.fault(route="/v2/users/me/meetings", method="POST", mode="retry_after", seconds=2)
    r = create(c, tok)
    assert r.status == 429 and r.headers["retry-after"] == "2" and r.json["code"] == 429, r
    c.fault(route="/v2/users/me/meetings", method="POST", mode="status", status=429)
    r = create(c, tok)
    assert r.status == 429 and "retry-after" not in r.headers and "per-second" in r.json["message"]
    c.fault(route="^/v2/users/", mode="daily_limit")
    assert "daily rate limit" in create(c, tok).json["message"]
    assert c.ctl("GET", "meetings") == []


def t_fault_tokens_and_5xx(c):
    tok = token(c)
    c.fault(route="^/v2/", mode="expired_token")
    assert create(c, tok).json == {"code": 124, "message": "Access token is expired."}
    c.fault(route="^/v2/", mode="invalid_token")
    assert create(c, tok).json["message"] == "Invalid access token."
    c.fault(route="/oauth/token", mode="invalid_client")
    r = c.call("POST", f"/oauth/token?grant_type=account_credentials&account_id={ACC}", b"", BASIC)
    assert r.status == 401 and r.json["error"] == "invalid_client"
    c.fault(route="/oauth/token", mode="status", status=503, times=2)
    assert [c.call("POST", f"/oauth/token?grant_type=account_credentials&account_id={ACC}", b"", BASIC).status
            for _ in range(3)] == [503, 503, 200]
    c.fault(route="^/v2/", mode="status", status=500)
    r = create(c, tok)
    assert r.status == 500 and r.json == {"code": 500, "message": "Internal Server Error"}
    c.fault(route="^/v2/", mode="html", status=502)
    assert create(c, tok).headers["content-type"].startswith("text/html")
    assert c.ctl("GET", "meetings") == []


def t_fault_timeout_after_creation(c):
    """The meeting exists although the client timed out: list it before retrying."""
    tok = token(c)
    c.fault(route="/v2/users/me/meetings", method="POST", mode="delay_after_apply", seconds=1.0)
    expect_timeout(lambda: create(c, tok, timeout=0.3))
    listed = c.call("GET", "/v2/users/me/meetings", headers=auth(tok)).json["meetings"]
    assert [m["agenda"] for m in listed] == ["lead:1001"]                  # visible at once
    c.fault(route="/v2/users/me/meetings", method="POST", mode="drop_after_apply", seconds=0.2)
    expect_no_response(lambda: create(c, tok, {**MEETING, "agenda": "lead:1002"}))
    listed = c.call("GET", "/v2/users/me/meetings", headers=auth(tok)).json["meetings"]
    assert sorted(m["agenda"] for m in listed) == ["lead:1001", "lead:1002"]
    c.fault(route="/v2/users/me/meetings", method="POST", mode="delay", seconds=0.8)
    expect_timeout(lambda: create(c, tok, {**MEETING, "agenda": "lead:1003"}, timeout=0.2))
    assert len(c.ctl("GET", "meetings")) == 2                              # not yet: applied after the delay
    time.sleep(0.9)
    assert len(c.ctl("GET", "meetings")) == 3
    c.fault(route="/v2/users/me/meetings", method="POST", mode="truncated", apply=True)
    expect_invalid_json(create(c, tok, {**MEETING, "agenda": "lead:1004"}))
    assert len(c.ctl("GET", "meetings")) == 4


if __name__ == "__main__":
    main_for(SCRIPT, ARGS, globals(), NAME)
