#!/usr/bin/env python3
"""Self-test for the Google fake (token endpoint, Sheets, Calendar). Run: python3 fakes/test_google_fake.py"""
import base64
import http.client
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

import google as fake  # noqa: E402

SHEETS = "https://www.googleapis.com/auth/spreadsheets"
CALENDAR = "https://www.googleapis.com/auth/calendar"
BASE = None
ACCOUNT = None   # the key file the fake trusts
OTHER = None     # same client_email, different key


class Resp:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self):
        return json.loads(self.raw)


def call(method, path, body=None, headers=None, timeout=5.0, form=False):
    if form:
        data = urllib.parse.urlencode(body).encode()
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Resp(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assertion(account=None, scope=SHEETS, aud=None, iat=None, lifetime=3600, alg="RS256"):
    account = account or ACCOUNT
    now = int(time.time()) if iat is None else iat
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iss": account["client_email"], "scope": scope, "aud": aud or BASE + "/token",
                             "iat": now, "exp": now + lifetime}).encode())
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    sig = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{b64(sig)}"


def token_request(jwt, grant="urn:ietf:params:oauth:grant-type:jwt-bearer"):
    return call("POST", "/token", {"grant_type": grant, "assertion": jwt}, form=True)


def token(scope=SHEETS + " " + CALENDAR):
    r = token_request(assertion(scope=scope))
    assert r.status == 200, (r.status, r.raw)
    return {"Authorization": "Bearer " + r.json["access_token"]}


def fault(**spec):
    r = call("POST", "/_fake/faults", spec)
    assert r.status == 200, (r.status, r.raw)


def sheet(sid="s1", rows=1000, cols=26, title="Leads"):
    r = call("POST", "/_fake/sheets", {"spreadsheetId": sid, "sheets": [{"title": title, "rowCount": rows,
                                                                        "columnCount": cols}]})
    assert r.status == 200
    return f"/v4/spreadsheets/{sid}"


def grid(sid="s1"):
    return call("GET", f"/_fake/sheets/{sid}").json["sheets"][0]["values"]


def q(text):
    return urllib.parse.quote(text, safe="")


def expect_no_response(fn):
    try:
        r = fn()
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
        return
    raise AssertionError(f"expected a dropped connection, got HTTP {r.status}")


# ---- token endpoint ----------------------------------------------------------------------------
def t_token_issued_for_a_valid_assertion():
    r = token_request(assertion())
    assert r.status == 200 and r.json["token_type"] == "Bearer" and r.json["expires_in"] == 3600, r.raw
    assert r.json["access_token"].startswith("ya29.")
    tokens = call("GET", "/_fake/google/tokens").json
    assert tokens == [{"iss": ACCOUNT["client_email"], "scopes": [SHEETS], "valid": True}], tokens


def t_token_refuses_wrong_key_and_bad_claims():
    cases = [
        (assertion(account=OTHER), "invalid_grant", "Signature"),
        (assertion(aud="https://oauth2.googleapis.com/token"), "invalid_grant", "aud"),
        (assertion(lifetime=3601), "invalid_grant", "short-lived"),
        (assertion(iat=int(time.time()) - 3000, lifetime=3600), "invalid_grant", "short-lived"),
        (assertion(iat=int(time.time()) + 1000), "invalid_grant", "short-lived"),
        (assertion(scope=""), "invalid_scope", ""),
        (assertion(scope="https://example.com/not-a-scope"), "invalid_scope", ""),
        (assertion(alg="HS256"), "invalid_grant", "RS256"),
        ("not.a.jwt", "invalid_grant", ""),
    ]
    for jwt, error, text in cases:
        r = token_request(jwt)
        assert r.status == 400 and r.json["error"] == error and text in r.json["error_description"], (error, r.raw)
    r = token_request(assertion(), grant="client_credentials")
    assert r.status == 400 and r.json["error"] == "unsupported_grant_type"
    assert call("GET", "/_fake/google/tokens").json == []


def t_token_faults_and_short_lifetime():
    fault(route="/token", mode="unavailable", times=1)
    fault(route="/token", mode="invalid_grant", times=1)
    assert token_request(assertion()).status == 503
    r = token_request(assertion())
    assert r.status == 400 and r.json["error"] == "invalid_grant"
    call("POST", "/_fake/google/settings", {"token_lifetime": 1})
    r = token_request(assertion())
    assert r.status == 200 and r.json["expires_in"] == 1
    auth = {"Authorization": "Bearer " + r.json["access_token"]}
    sheet()
    assert call("GET", "/v4/spreadsheets/s1", headers=auth).status == 200
    time.sleep(1.1)
    r = call("GET", "/v4/spreadsheets/s1", headers=auth)
    assert r.status == 401 and r.json["error"]["status"] == "UNAUTHENTICATED"


def t_api_needs_a_valid_token_and_scope():
    path = sheet()
    assert call("GET", path).status == 401
    assert call("GET", path, headers={"Authorization": "Bearer ya29.made-up"}).status == 401
    auth = token(scope=CALENDAR)
    r = call("GET", path, headers=auth)
    assert r.status == 403 and r.json["error"]["status"] == "PERMISSION_DENIED"
    auth = token()
    assert call("GET", path, headers=auth).status == 200
    assert call("POST", "/_fake/google/expire_tokens").json["expired"] == 2
    assert call("GET", path, headers=auth).status == 401
    fault(route="^/v4/", mode="expired_token")
    auth = token()
    assert call("GET", path, headers=auth).status == 401
    assert call("GET", path, headers=auth).status == 200


# ---- Sheets ------------------------------------------------------------------------------------
def t_sheets_values_get_update_and_trailing_empties():
    path, auth = sheet(), token()
    r = call("GET", path + "/values/" + q("'Leads'!A:A"), headers=auth)
    assert r.status == 200 and "values" not in r.json and r.json["majorDimension"] == "ROWS", r.raw
    rng = q("'Leads'!A2:D3")
    r = call("PUT", path + "/values/" + rng, {"values": [["1", "x"]]}, auth)
    assert r.status == 400 and "valueInputOption" in r.json["error"]["message"]
    r = call("PUT", path + "/values/" + rng + "?valueInputOption=RAW",
             {"range": "'Leads'!A2:D3", "values": [["1", "x", "", ""], ["2"]]}, auth)
    assert r.status == 200 and r.json["updatedRows"] == 2 and r.json["updatedRange"] == "'Leads'!A2:D3", r.raw
    r = call("GET", path + "/values/" + q("Leads!A1:Z10"), headers=auth)
    assert r.json["values"] == [[], ["1", "x"], ["2"]], r.json
    r = call("PUT", path + "/values/" + q("'Leads'!A2:B2") + "?valueInputOption=RAW",
             {"values": [["1", "x"], ["too", "many"]]}, auth)
    assert r.status == 400
    r = call("GET", path + "/values/" + q("'Nope'!A1"), headers=auth)
    assert r.status == 400 and "Unable to parse range" in r.json["error"]["message"]
    assert call("GET", "/v4/spreadsheets/unknown/values/A1", headers=auth).status == 404


def t_sheets_batch_update_grid_limits_and_resize():
    path, auth = sheet(rows=5, cols=3), token()
    body = {"valueInputOption": "RAW", "data": [{"range": "'Leads'!A1:C1", "values": [["id", "a", "b"]]},
                                                {"range": "'Leads'!A6:C6", "values": [["5", "e", "f"]]}]}
    r = call("POST", path + "/values:batchUpdate", body, auth)
    assert r.status == 400 and "exceeds grid limits. Max rows: 5, max columns: 3" in r.json["error"]["message"]
    assert grid() == [], "a refused batch must change nothing"
    assert call("POST", path + "/values:batchUpdate", dict(body, valueInputOption=None), auth).status == 400
    props = call("GET", path + "?fields=sheets.properties", headers=auth).json["sheets"][0]["properties"]
    assert props["gridProperties"] == {"rowCount": 5, "columnCount": 3}, props
    resize = {"requests": [{"updateSheetProperties": {
        "properties": {"sheetId": props["sheetId"], "gridProperties": {"rowCount": 10, "columnCount": 16}},
        "fields": "gridProperties.rowCount,gridProperties.columnCount"}}]}
    assert call("POST", path + ":batchUpdate", resize, auth).status == 200
    assert call("POST", path + ":batchUpdate", resize, auth).status == 200  # idempotent
    r = call("POST", path + "/values:batchUpdate", body, auth)
    assert r.status == 200 and r.json["totalUpdatedRows"] == 2, r.raw
    assert grid() == [["id", "a", "b"], [], [], [], [], ["5", "e", "f"]]
    add = {"requests": [{"addSheet": {"properties": {"title": "Leads"}}}]}
    r = call("POST", path + ":batchUpdate", add, auth)
    assert r.status == 400 and "already exists" in r.json["error"]["message"]
    add["requests"][0]["addSheet"]["properties"]["title"] = "Other"
    r = call("POST", path + ":batchUpdate", add, auth)
    assert r.status == 200 and r.json["replies"][0]["addSheet"]["properties"]["title"] == "Other"


def t_sheets_append_requires_value_input_option():
    path, auth = sheet(rows=2), token()
    url = path + "/values/" + q("'Leads'!A1") + ":append"
    r = call("POST", url, {"values": [["h"]]}, auth)
    assert r.status == 400 and "valueInputOption" in r.json["error"]["message"]
    for i in range(3):
        r = call("POST", url + "?valueInputOption=RAW", {"values": [[str(i), "v"]]}, auth)
        assert r.status == 200 and r.json["updates"]["updatedRange"] == f"'Leads'!A{i + 1}:B{i + 1}", r.raw
    assert grid() == [["0", "v"], ["1", "v"], ["2", "v"]]


def t_sheets_faults_rate_limit_and_drop_after_apply():
    path, auth = sheet(), token()
    fault(route="^/v4/spreadsheets/s1/", mode="rate_limited")
    url = path + "/values/" + q("'Leads'!A2:B2") + "?valueInputOption=RAW"
    r = call("PUT", url, {"values": [["1", "a"]]}, auth)
    assert r.status == 429 and r.json["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert grid() == []
    fault(route="^/v4/spreadsheets/s1/", mode="drop_after_apply")
    expect_no_response(lambda: call("PUT", url, {"values": [["1", "a"]]}, auth))
    assert grid() == [[], ["1", "a"]]
    fault(route="^/v4/spreadsheets/s1/", mode="unavailable", status=500)
    assert call("PUT", url, {"values": [["1", "b"]]}, auth).status == 500
    fault(route="^/v4/spreadsheets/s1/", mode="delay", seconds=0.3)
    started = time.monotonic()
    assert call("PUT", url, {"values": [["1", "c"]]}, auth).status == 200 and time.monotonic() - started >= 0.3
    assert grid() == [[], ["1", "c"]]


# ---- Calendar ----------------------------------------------------------------------------------
def calendar(cid="cal@example.com", busy=()):
    assert call("POST", "/_fake/calendars", {"id": cid, "busy": list(busy)}).status == 200
    return "/calendar/v3/calendars/" + q(cid) + "/events"


def event(start, end, **extra):
    return dict({"summary": "Trial lesson", "start": {"dateTime": start}, "end": {"dateTime": end}}, **extra)


def t_calendar_insert_with_client_id_and_409():
    path, auth = calendar(), token()
    body = event("2026-02-01T10:00:00+03:00", "2026-02-01T11:00:00+03:00", id="lesson00042")
    r = call("POST", path, body, auth)
    assert r.status == 200 and r.json["id"] == "lesson00042" and r.json["status"] == "confirmed", r.raw
    r = call("POST", path, body, auth)
    assert r.status == 409 and r.json["error"]["errors"][0]["reason"] == "duplicate"
    assert call("POST", path, dict(body, id="UPPER-case"), auth).status == 400
    assert call("POST", path, {"summary": "no times"}, auth).status == 400
    r = call("POST", path, event("2026-02-01T12:00:00Z", "2026-02-01T13:00:00Z"), auth)
    assert r.status == 200 and fake.EVENT_ID.match(r.json["id"])
    assert len(call("GET", "/_fake/calendars/" + q("cal@example.com") + "/events").json) == 2
    assert call("POST", "/calendar/v3/calendars/nope/events", body, auth).status == 404


def t_calendar_patch_delete_and_gone():
    path, auth = calendar(), token()
    call("POST", path, event("2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z", id="abcde1", description="d"), auth)
    r = call("PATCH", path + "/abcde1", {"summary": "Moved", "end": {"dateTime": "2026-02-01T11:30:00Z"}}, auth)
    assert r.status == 200 and r.json["summary"] == "Moved" and r.json["description"] == "d"
    assert r.json["end"] == {"dateTime": "2026-02-01T11:30:00Z"} and r.json["start"]["dateTime"].endswith("10:00:00Z")
    assert call("DELETE", path + "/abcde1", headers=auth).status == 204
    r = call("DELETE", path + "/abcde1", headers=auth)
    assert r.status == 410 and r.json["error"]["errors"][0]["reason"] == "deleted"
    assert call("DELETE", path + "/zzzzz1", headers=auth).status == 404
    assert call("PATCH", path + "/zzzzz1", {"summary": "x"}, auth).status == 404
    fault(route="^/calendar/", mode="calendar_rate_limited")
    r = call("GET", path + "/abcde1", headers=auth)
    assert r.status == 403 and r.json["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    fault(route="^/calendar/", mode="forbidden_sa")
    r = call("GET", path + "/abcde1", headers=auth)
    assert r.status == 403 and r.json["error"]["errors"][0]["reason"] == "forbiddenForServiceAccounts"


def t_calendar_list_pagination_and_order_rule():
    path, auth = calendar(), token()
    for hour in (15, 11, 13, 12, 14):
        call("POST", path, event(f"2026-03-01T{hour}:00:00Z", f"2026-03-01T{hour}:30:00Z", id=f"ev{hour}abc"), auth)
    call("DELETE", path + "/ev14abc", headers=auth)
    window = "&timeMin=" + q("2026-03-01T11:15:00Z") + "&timeMax=" + q("2026-03-01T16:00:00Z")
    r = call("GET", path + "?orderBy=startTime" + window, headers=auth)
    assert r.status == 400 and "ordering is not available" in r.json["error"]["message"]
    ids, token_ = [], None
    while True:
        url = path + "?singleEvents=true&orderBy=startTime&maxResults=2" + window
        r = call("GET", url + (f"&pageToken={token_}" if token_ else ""), headers=auth)
        assert r.status == 200, r.raw
        ids += [e["id"] for e in r.json["items"]]
        token_ = r.json.get("nextPageToken")
        if not token_:
            break
    assert ids == ["ev11abc", "ev12abc", "ev13abc", "ev15abc"], ids


def t_calendar_free_busy_with_errors_entry():
    calendar("cal@example.com", busy=[{"start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z"}])
    path, auth = "/calendar/v3/calendars/" + q("cal@example.com") + "/events", token()
    call("POST", path, event("2026-03-02T10:00:00+03:00", "2026-03-02T11:00:00+03:00", id="booked1"), auth)
    call("POST", path, event("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", id="free1", transparency="transparent"),
         auth)
    body = {"timeMin": "2026-03-02T00:00:00Z", "timeMax": "2026-03-03T00:00:00Z",
            "items": [{"id": "cal@example.com"}, {"id": "missing@example.com"}]}
    r = call("POST", "/calendar/v3/freeBusy", body, auth)
    assert r.status == 200, r.raw
    cals = r.json["calendars"]
    assert cals["cal@example.com"]["busy"] == [{"start": "2026-03-02T07:00:00Z", "end": "2026-03-02T08:00:00Z"},
                                               {"start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z"}]
    assert cals["missing@example.com"]["errors"] == [{"domain": "global", "reason": "notFound"}]
    assert call("POST", "/calendar/v3/freeBusy", {"items": []}, auth).status == 400


def t_calendar_insert_drop_after_apply_then_409():
    path, auth = calendar(), token()
    fault(route="^/calendar/v3/calendars/", method="POST", mode="drop_after_apply")
    body = event("2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z", id="retri00001")
    expect_no_response(lambda: call("POST", path, body, auth))
    assert call("POST", path, body, auth).status == 409
    assert [e["id"] for e in call("GET", "/_fake/calendars/" + q("cal@example.com") + "/events").json] == ["retri00001"]


def t_keygen_writes_a_private_key_file():
    path = os.path.join(tempfile.mkdtemp(prefix="google-keygen-"), "sa.json")
    subprocess.run([sys.executable, os.path.join(HERE, "google.py"), "keygen", path, "--email", "x@y.z"], check=True)
    info = json.load(open(path))
    assert info["type"] == "service_account" and info["client_email"] == "x@y.z"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]


def main():
    global BASE, ACCOUNT, OTHER
    tmp = tempfile.mkdtemp(prefix="google-fake-test-")
    ACCOUNT = fake.generate_service_account(os.path.join(tmp, "sa.json"), "tests@fake.iam.gserviceaccount.com")
    OTHER = fake.generate_service_account(os.path.join(tmp, "other.json"), "tests@fake.iam.gserviceaccount.com")
    port_file = os.path.join(tmp, "google.port")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "google.py"), "--port", "0", "--port-file", port_file,
                             "--service-account", os.path.join(tmp, "sa.json")])
    passed = failed = 0
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            assert proc.poll() is None and time.monotonic() < deadline, "fake did not start"
            time.sleep(0.02)
        BASE = f"http://127.0.0.1:{int(open(port_file).read())}"
        for t in TESTS:
            call("POST", "/_fake/reset")
            try:
                t()
                passed += 1
                print(f"ok   {t.__name__}")
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}\n{traceback.format_exc()}")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=5)
        if rc == 0 and not os.path.exists(port_file):
            passed += 1
            print("ok   t_sigterm")
        else:
            failed += 1
            print(f"FAIL t_sigterm rc={rc}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"google fake: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
