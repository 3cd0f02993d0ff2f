#!/usr/bin/env python3
"""Self-test for the Google fake (token endpoint, Sheets, Calendar). Run: python3 fakes/test_google_fake.py"""
import base64
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

import google as fake  # noqa: E402
from testkit import expect_no_response, main_for  # noqa: E402

SHEETS = "https://www.googleapis.com/auth/spreadsheets"
CALENDAR = "https://www.googleapis.com/auth/calendar"
SCRIPT, NAME = "google.py", "google"
ACCOUNT = None   # the key file the fake trusts
OTHER = None     # same client_email, different key


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assertion(c, account=None, scope=SHEETS, aud=None, iat=None, lifetime=3600, alg="RS256"):
    account = account or ACCOUNT
    now = int(time.time()) if iat is None else iat
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    claims = b64(json.dumps({"iss": account["client_email"], "scope": scope, "aud": aud or c.base + "/token",
                             "iat": now, "exp": now + lifetime}).encode())
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    sig = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{b64(sig)}"


def token_request(c, jwt, grant="urn:ietf:params:oauth:grant-type:jwt-bearer"):
    form = urllib.parse.urlencode({"grant_type": grant, "assertion": jwt})
    return c.call("POST", "/token", form, {"Content-Type": "application/x-www-form-urlencoded"})


def token(c, scope=SHEETS + " " + CALENDAR):
    r = token_request(c, assertion(c, scope=scope))
    assert r.status == 200, (r.status, r.raw)
    return {"Authorization": "Bearer " + r.json["access_token"]}


def sheet(c, sid="s1", rows=1000, cols=26, title="Leads"):
    r = c.call("POST", "/_fake/sheets", {"spreadsheetId": sid, "sheets": [{"title": title, "rowCount": rows,
                                                                          "columnCount": cols}]})
    assert r.status == 200
    return f"/v4/spreadsheets/{sid}"


def grid(c, sid="s1"):
    return c.call("GET", f"/_fake/sheets/{sid}").json["sheets"][0]["values"]


def q(text):
    return urllib.parse.quote(text, safe="")


# ---- token endpoint ----------------------------------------------------------------------------
def t_token_issued_for_a_valid_assertion(c):
    r = token_request(c, assertion(c))
    assert r.status == 200 and r.json["token_type"] == "Bearer" and r.json["expires_in"] == 3600, r.raw
    assert r.json["access_token"].startswith("ya29.")
    tokens = c.call("GET", "/_fake/google/tokens").json
    assert tokens == [{"iss": ACCOUNT["client_email"], "scopes": [SHEETS], "valid": True}], tokens


def t_token_refuses_wrong_key_and_bad_claims(c):
    cases = [
        (assertion(c, account=OTHER), "invalid_grant", "Signature"),
        (assertion(c, aud="https://oauth2.googleapis.com/token"), "invalid_grant", "aud"),
        (assertion(c, lifetime=3601), "invalid_grant", "short-lived"),
        (assertion(c, iat=int(time.time()) - 3000, lifetime=3600), "invalid_grant", "short-lived"),
        (assertion(c, iat=int(time.time()) + 1000), "invalid_grant", "short-lived"),
        (assertion(c, scope=""), "invalid_scope", ""),
        (assertion(c, scope="https://example.com/not-a-scope"), "invalid_scope", ""),
        (assertion(c, alg="HS256"), "invalid_grant", "RS256"),
        ("not.a.jwt", "invalid_grant", ""),
    ]
    for jwt, error, text in cases:
        r = token_request(c, jwt)
        assert r.status == 400 and r.json["error"] == error and text in r.json["error_description"], (error, r.raw)
    r = token_request(c, assertion(c), grant="client_credentials")
    assert r.status == 400 and r.json["error"] == "unsupported_grant_type"
    assert c.call("GET", "/_fake/google/tokens").json == []


def t_token_faults_and_short_lifetime(c):
    c.fault(route="/token", mode="unavailable", times=1)
    c.fault(route="/token", mode="invalid_grant", times=1)
    assert token_request(c, assertion(c)).status == 503
    r = token_request(c, assertion(c))
    assert r.status == 400 and r.json["error"] == "invalid_grant"
    c.call("POST", "/_fake/google/settings", {"token_lifetime": 1})
    r = token_request(c, assertion(c))
    assert r.status == 200 and r.json["expires_in"] == 1
    auth = {"Authorization": "Bearer " + r.json["access_token"]}
    sheet(c)
    assert c.call("GET", "/v4/spreadsheets/s1", headers=auth).status == 200
    time.sleep(1.1)
    r = c.call("GET", "/v4/spreadsheets/s1", headers=auth)
    assert r.status == 401 and r.json["error"]["status"] == "UNAUTHENTICATED"


def t_api_needs_a_valid_token_and_scope(c):
    path = sheet(c)
    assert c.call("GET", path).status == 401
    assert c.call("GET", path, headers={"Authorization": "Bearer ya29.made-up"}).status == 401
    auth = token(c, scope=CALENDAR)
    r = c.call("GET", path, headers=auth)
    assert r.status == 403 and r.json["error"]["status"] == "PERMISSION_DENIED"
    auth = token(c)
    assert c.call("GET", path, headers=auth).status == 200
    assert c.call("POST", "/_fake/google/expire_tokens").json["expired"] == 2
    assert c.call("GET", path, headers=auth).status == 401
    c.fault(route="^/v4/", mode="expired_token")
    auth = token(c)
    assert c.call("GET", path, headers=auth).status == 401
    assert c.call("GET", path, headers=auth).status == 200


# ---- Sheets ------------------------------------------------------------------------------------
def t_sheets_values_get_update_and_trailing_empties(c):
    path, auth = sheet(c), token(c)
    r = c.call("GET", path + "/values/" + q("'Leads'!A:A"), headers=auth)
    assert r.status == 200 and "values" not in r.json and r.json["majorDimension"] == "ROWS", r.raw
    rng = q("'Leads'!A2:D3")
    r = c.call("PUT", path + "/values/" + rng, {"values": [["1", "x"]]}, auth)
    assert r.status == 400 and "valueInputOption" in r.json["error"]["message"]
    r = c.call("PUT", path + "/values/" + rng + "?valueInputOption=RAW",
             {"range": "'Leads'!A2:D3", "values": [["1", "x", "", ""], ["2"]]}, auth)
    assert r.status == 200 and r.json["updatedRows"] == 2 and r.json["updatedRange"] == "'Leads'!A2:D3", r.raw
    r = c.call("GET", path + "/values/" + q("Leads!A1:Z10"), headers=auth)
    assert r.json["values"] == [[], ["1", "x"], ["2"]], r.json
    r = c.call("PUT", path + "/values/" + q("'Leads'!A2:B2") + "?valueInputOption=RAW",
             {"values": [["1", "x"], ["too", "many"]]}, auth)
    assert r.status == 400
    r = c.call("GET", path + "/values/" + q("'Nope'!A1"), headers=auth)
    assert r.status == 400 and "Unable to parse range" in r.json["error"]["message"]
    assert c.call("GET", "/v4/spreadsheets/unknown/values/A1", headers=auth).status == 404


def t_sheets_batch_update_grid_limits_and_resize(c):
    path, auth = sheet(c, rows=5, cols=3), token(c)
    body = {"valueInputOption": "RAW", "data": [{"range": "'Leads'!A1:C1", "values": [["id", "a", "b"]]},
                                                {"range": "'Leads'!A6:C6", "values": [["5", "e", "f"]]}]}
    r = c.call("POST", path + "/values:batchUpdate", body, auth)
    assert r.status == 400 and "exceeds grid limits. Max rows: 5, max columns: 3" in r.json["error"]["message"]
    assert grid(c) == [], "a refused batch must change nothing"
    assert c.call("POST", path + "/values:batchUpdate", dict(body, valueInputOption=None), auth).status == 400
    props = c.call("GET", path + "?fields=sheets.properties", headers=auth).json["sheets"][0]["properties"]
    assert props["gridProperties"] == {"rowCount": 5, "columnCount": 3}, props
    resize = {"requests": [{"updateSheetProperties": {
        "properties": {"sheetId": props["sheetId"], "gridProperties": {"rowCount": 10, "columnCount": 16}},
        "fields": "gridProperties.rowCount,gridProperties.columnCount"}}]}
    assert c.call("POST", path + ":batchUpdate", resize, auth).status == 200
    assert c.call("POST", path + ":batchUpdate", resize, auth).status == 200  # idempotent
    r = c.call("POST", path + "/values:batchUpdate", body, auth)
    assert r.status == 200 and r.json["totalUpdatedRows"] == 2, r.raw
    assert grid(c) == [["id", "a", "b"], [], [], [], [], ["5", "e", "f"]]
    add = {"requests": [{"addSheet": {"properties": {"title": "Leads"}}}]}
    r = c.call("POST", path + ":batchUpdate", add, auth)
    assert r.status == 400 and "already exists" in r.json["error"]["message"]
    add["requests"][0]["addSheet"]["properties"]["title"] = "Other"
    r = c.call("POST", path + ":batchUpdate", add, auth)
    assert r.status == 200 and r.json["replies"][0]["addSheet"]["properties"]["title"] == "Other"


def t_sheets_append_requires_value_input_option(c):
    path, auth = sheet(c, rows=2), token(c)
    url = path + "/values/" + q("'Leads'!A1") + ":append"
    r = c.call("POST", url, {"values": [["h"]]}, auth)
    assert r.status == 400 and "valueInputOption" in r.json["error"]["message"]
    for i in range(3):
        r = c.call("POST", url + "?valueInputOption=RAW", {"values": [[str(i), "v"]]}, auth)
        assert r.status == 200 and r.json["updates"]["updatedRange"] == f"'Leads'!A{i + 1}:B{i + 1}", r.raw
    assert grid(c) == [["0", "v"], ["1", "v"], ["2", "v"]]


def t_sheets_faults_rate_limit_and_drop_after_apply(c):
    path, auth = sheet(c), token(c)
    c.fault(route="^/v4/spreadsheets/s1/", mode="rate_limited")
    url = path + "/values/" + q("'Leads'!A2:B2") + "?valueInputOption=RAW"
    r = c.call("PUT", url, {"values": [["1", "a"]]}, auth)
    assert r.status == 429 and r.json["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert grid(c) == []
    c.fault(route="^/v4/spreadsheets/s1/", mode="drop_after_apply")
    expect_no_response(lambda: c.call("PUT", url, {"values": [["1", "a"]]}, auth))
    assert grid(c) == [[], ["1", "a"]]
    c.fault(route="^/v4/spreadsheets/s1/", mode="unavailable", status=500)
    assert c.call("PUT", url, {"values": [["1", "b"]]}, auth).status == 500
    c.fault(route="^/v4/spreadsheets/s1/", mode="delay", seconds=0.3)
    started = time.monotonic()
    assert c.call("PUT", url, {"values": [["1", "c"]]}, auth).status == 200 and time.monotonic() - started >= 0.3
    assert grid(c) == [[], ["1", "c"]]


# ---- Calendar ----------------------------------------------------------------------------------
def calendar(c, cid="cal@example.com", busy=()):
    assert c.call("POST", "/_fake/calendars", {"id": cid, "busy": list(busy)}).status == 200
    return "/calendar/v3/calendars/" + q(cid) + "/events"


def event(start, end, **extra):
    return dict({"summary": "Trial lesson", "start": {"dateTime": start}, "end": {"dateTime": end}}, **extra)


def t_calendar_insert_with_client_id_and_409(c):
    path, auth = calendar(c), token(c)
    body = event("2026-02-01T10:00:00+03:00", "2026-02-01T11:00:00+03:00", id="lesson00042")
    r = c.call("POST", path, body, auth)
    assert r.status == 200 and r.json["id"] == "lesson00042" and r.json["status"] == "confirmed", r.raw
    r = c.call("POST", path, body, auth)
    assert r.status == 409 and r.json["error"]["errors"][0]["reason"] == "duplicate"
    assert c.call("POST", path, dict(body, id="UPPER-case"), auth).status == 400
    assert c.call("POST", path, {"summary": "no times"}, auth).status == 400
    r = c.call("POST", path, event("2026-02-01T12:00:00Z", "2026-02-01T13:00:00Z"), auth)
    assert r.status == 200 and fake.EVENT_ID.match(r.json["id"])
    assert len(c.call("GET", "/_fake/calendars/" + q("cal@example.com") + "/events").json) == 2
    assert c.call("POST", "/calendar/v3/calendars/nope/events", body, auth).status == 404


def t_calendar_patch_delete_and_gone(c):
    path, auth = calendar(c), token(c)
    c.call("POST", path, event("2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z", id="abcde1", description="d"), auth)
    r = c.call("PATCH", path + "/abcde1", {"summary": "Moved", "end": {"dateTime": "2026-02-01T11:30:00Z"}}, auth)
    assert r.status == 200 and r.json["summary"] == "Moved" and r.json["description"] == "d"
    assert r.json["end"] == {"dateTime": "2026-02-01T11:30:00Z"} and r.json["start"]["dateTime"].endswith("10:00:00Z")
    assert c.call("DELETE", path + "/abcde1", headers=auth).status == 204
    r = c.call("DELETE", path + "/abcde1", headers=auth)
    assert r.status == 410 and r.json["error"]["errors"][0]["reason"] == "deleted"
    assert c.call("DELETE", path + "/zzzzz1", headers=auth).status == 404
    assert c.call("PATCH", path + "/zzzzz1", {"summary": "x"}, auth).status == 404
    c.fault(route="^/calendar/", mode="calendar_rate_limited")
    r = c.call("GET", path + "/abcde1", headers=auth)
    assert r.status == 403 and r.json["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    c.fault(route="^/calendar/", mode="forbidden_sa")
    r = c.call("GET", path + "/abcde1", headers=auth)
    assert r.status == 403 and r.json["error"]["errors"][0]["reason"] == "forbiddenForServiceAccounts"


def t_calendar_list_pagination_and_order_rule(c):
    path, auth = calendar(c), token(c)
    for hour in (15, 11, 13, 12, 14):
        c.call("POST", path, event(f"2026-03-01T{hour}:00:00Z", f"2026-03-01T{hour}:30:00Z", id=f"ev{hour}abc"), auth)
    c.call("DELETE", path + "/ev14abc", headers=auth)
    window = "&timeMin=" + q("2026-03-01T11:15:00Z") + "&timeMax=" + q("2026-03-01T16:00:00Z")
    r = c.call("GET", path + "?orderBy=startTime" + window, headers=auth)
    assert r.status == 400 and "ordering is not available" in r.json["error"]["message"]
    ids, token_ = [], None
    while True:
        url = path + "?singleEvents=true&orderBy=startTime&maxResults=2" + window
        r = c.call("GET", url + (f"&pageToken={token_}" if token_ else ""), headers=auth)
        assert r.status == 200, r.raw
        ids += [e["id"] for e in r.json["items"]]
        token_ = r.json.get("nextPageToken")
        if not token_:
            break
    assert ids == ["ev11abc", "ev12abc", "ev13abc", "ev15abc"], ids


def t_calendar_free_busy_with_errors_entry(c):
    calendar(c, "cal@example.com", busy=[{"start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z"}])
    path, auth = "/calendar/v3/calendars/" + q("cal@example.com") + "/events", token(c)
    c.call("POST", path, event("2026-03-02T10:00:00+03:00", "2026-03-02T11:00:00+03:00", id="booked1"), auth)
    c.call("POST", path, event("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z", id="free1", transparency="transparent"),
         auth)
    body = {"timeMin": "2026-03-02T00:00:00Z", "timeMax": "2026-03-03T00:00:00Z",
            "items": [{"id": "cal@example.com"}, {"id": "missing@example.com"}]}
    r = c.call("POST", "/calendar/v3/freeBusy", body, auth)
    assert r.status == 200, r.raw
    cals = r.json["calendars"]
    assert cals["cal@example.com"]["busy"] == [{"start": "2026-03-02T07:00:00Z", "end": "2026-03-02T08:00:00Z"},
                                               {"start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z"}]
    assert cals["missing@example.com"]["errors"] == [{"domain": "global", "reason": "notFound"}]
    assert c.call("POST", "/calendar/v3/freeBusy", {"items": []}, auth).status == 400


def t_calendar_insert_drop_after_apply_then_409(c):
    path, auth = calendar(c), token(c)
    c.fault(route="^/calendar/v3/calendars/", method="POST", mode="drop_after_apply")
    body = event("2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z", id="retri00001")
    expect_no_response(lambda: c.call("POST", path, body, auth))
    assert c.call("POST", path, body, auth).status == 409
    stored = c.call("GET", "/_fake/calendars/" + q("cal@example.com") + "/events").json
    assert [e["id"] for e in stored] == ["retri00001"]


def t_keygen_writes_a_private_key_file(c):
    path = os.path.join(tempfile.mkdtemp(prefix="google-keygen-"), "sa.json")
    subprocess.run([sys.executable, os.path.join(HERE, "google.py"), "keygen", path, "--email", "x@y.z"], check=True)
    info = json.load(open(path))
    assert info["type"] == "service_account" and info["client_email"] == "x@y.z"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def main():
    """The fake trusts the key file named in its arguments, so the keys exist before it starts."""
    global ACCOUNT, OTHER
    with tempfile.TemporaryDirectory(prefix="google-fake-test-") as tmp:
        ACCOUNT = fake.generate_service_account(os.path.join(tmp, "sa.json"), "tests@fake.iam.gserviceaccount.com")
        OTHER = fake.generate_service_account(os.path.join(tmp, "other.json"), "tests@fake.iam.gserviceaccount.com")
        main_for(SCRIPT, ["--service-account", os.path.join(tmp, "sa.json")], globals(), NAME, label="google fake: ")


if __name__ == "__main__":
    main()
