#!/usr/bin/env python3
"""Fake Zoom API (Server-to-Server OAuth at zoom.us + meetings at api.zoom.us/v2) for integration tests.

Run: python3 fakes/zoom.py --port 0 --port-file var/zoom.port --account-id ACC --client-id CID --client-secret SECRET
"""
import base64
import os
import re
import secrets
import sys
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

sys.dont_write_bytecode = True  # keep fakes/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeApp, basic_auth, bearer, route, run  # noqa: E402

INVALID_CLIENT = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
INVALID_TOKEN = {"code": 124, "message": "Invalid access token."}
EXPIRED_TOKEN = {"code": 124, "message": "Access token is expired."}
PER_SECOND = {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. "
                                     "Try again later."}
MEETING_TYPES = (1, 2, 3, 8, 10)
SCOPES = "meeting:write:meeting meeting:read:meeting meeting:update:meeting meeting:delete:meeting user:read:user"
LIST_FIELDS = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone", "agenda",
               "created_at", "join_url")
DEFAULT_SETTINGS = {"host_video": False, "participant_video": False, "join_before_host": False,
                    "mute_upon_entry": False, "waiting_room": True, "auto_recording": "none",
                    "approval_type": 2, "audio": "voip", "meeting_authentication": False}


def zerr(status, code, message, errors=None):
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return status, {}, body


def invalid(field, message="Invalid field."):
    return zerr(400, 300, "Validation Failed.", [{"field": field, "message": message}])


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_start(value, tz):
    """'2026-02-01T10:00:00Z' (UTC) or local '2026-02-01T10:00:00' in tz -> unix time, else None."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(Z?)", value)
    if not m:
        return None
    try:
        dt = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc if m.group(2) else ZoneInfo(tz)).timestamp()


def valid_tz(tz):
    try:
        ZoneInfo(tz)
        return True
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False


class Zoom(FakeApp):
    """Fake Zoom: POST /oauth/token (account_credentials) and /v2 meeting endpoints."""
    name = "zoom"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--account-id", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--user-email", default="owner@example.com", help="the account owner ('me')")
        parser.add_argument("--user-id", default="KDcuGIm1QgePTO8WbOqwIQ")
        parser.add_argument("--user-timezone", default="Europe/Moscow")
        parser.add_argument("--token-ttl", type=int, default=3600, help="expires_in of issued tokens (s)")
        parser.add_argument("--daily-limit", type=int, default=100,
                            help="meeting creates+updates per user per UTC day before 429 (0 = off)")

    def reset_state(self):
        self.tokens = {}      # token -> {"issued", "expires", "expired"}
        self.meetings = {}    # id -> meeting (with "deleted")
        self.next_seq = 1
        self.daily = {}       # (user_id, utc date) -> count

    # ---- bodies ------------------------------------------------------------------------------
    def rate_limit_body(self):
        return PER_SECOND

    def error_body(self, status):
        if status == 401:
            return INVALID_TOKEN
        if status == 429:
            return PER_SECOND
        return {"code": status, "message": {404: "Not Found", 500: "Internal Server Error", 502: "Bad Gateway",
                                            503: "Service Unavailable", 504: "Gateway Timeout"}.get(status, "Error")}

    def sample_body(self):
        return {"id": 85746065432, "join_url": "https://us05web.zoom.us/j/85746065432", "topic": "cut off"}

    def daily_limit_body(self):
        return {"code": 429, "message": f"You have exceeded the daily rate limit of ({self.args.daily_limit}) for "
                                        "Create a meeting API requests permitted for this particular user. You may "
                                        "resume these requests at GMT 00:00:00."}

    # provider-specific fault modes
    def fault_expired_token(self, f, req):
        return 401, {}, EXPIRED_TOKEN

    def fault_invalid_token(self, f, req):
        return 401, {}, INVALID_TOKEN

    def fault_invalid_client(self, f, req):
        return int(f.get("status", 401)), {}, INVALID_CLIENT

    def fault_daily_limit(self, f, req):
        return 429, {}, self.daily_limit_body()

    # ---- helpers ---------------------------------------------------------------------------------
    def authorize(self, req):
        token = bearer(req)
        t = self.tokens.get(token) if token else None
        if t is None:
            return 401, {}, INVALID_TOKEN
        if t["expired"] or self.now() >= t["expires"]:
            return 401, {}, EXPIRED_TOKEN
        return None

    def user(self, user_id):
        if user_id in ("me", self.args.user_id) or user_id.lower() == self.args.user_email.lower():
            return self.args.user_id
        return None

    def count_daily(self, user_id):
        """None if under the per-user daily create/update limit (and counts it), else the 429."""
        day = time.strftime("%Y-%m-%d", time.gmtime(self.now()))
        n = self.daily.get((user_id, day), 0)
        if self.args.daily_limit and n >= self.args.daily_limit:
            return 429, {}, self.daily_limit_body()
        self.daily[(user_id, day)] = n + 1
        return None

    def validate(self, body, creating, default_tz=None):
        """Validated field updates for create (all fields) or PATCH (given fields), or an error tuple."""
        if not isinstance(body, dict):
            return zerr(400, 300, "Request Body should be a valid JSON object.")
        out = {}
        if "topic" in body or creating:
            topic = body.get("topic", "Zoom meeting")
            if not isinstance(topic, str) or len(topic) > 200:
                return invalid("topic")
            out["topic"] = topic
        if "type" in body or creating:
            mtype = body.get("type", 2)
            if isinstance(mtype, str) and mtype.isdigit():
                mtype = int(mtype)
            if mtype not in MEETING_TYPES or isinstance(mtype, bool):
                return invalid("type")
            out["type"] = mtype
        if "timezone" in body:
            if not isinstance(body["timezone"], str) or not valid_tz(body["timezone"]):
                return invalid("timezone")
            out["timezone"] = body["timezone"]
        tz = out.get("timezone", default_tz or self.args.user_timezone)
        if "start_time" in body:
            ts = parse_start(body["start_time"], tz)
            if ts is None:
                return invalid("start_time")
            out["start_ts"] = ts
        elif creating and out["type"] in (2, 8):
            return invalid("start_time", "start_time is required for a scheduled meeting.")  # UNCERTAIN
        if "duration" in body or creating:
            d = body.get("duration", 60)
            if not isinstance(d, int) or isinstance(d, bool) or d <= 0:
                return invalid("duration")
            out["duration"] = d
        if "password" in body:
            pw = body["password"]
            if not isinstance(pw, str) or not re.fullmatch(r"[A-Za-z0-9@_*-]{1,10}", pw):
                return invalid("password", "Password can only contain the following characters: "
                                           "[a-z A-Z 0-9 @ - _ *] and can have a maximum of 10 characters.")
            out["password"] = pw
        if "agenda" in body:
            if not isinstance(body["agenda"], str) or len(body["agenda"]) > 2000:
                return invalid("agenda")
            out["agenda"] = body["agenda"]
        if "settings" in body:
            if not isinstance(body["settings"], dict):
                return invalid("settings")
            out["settings"] = body["settings"]
        return out

    def public(self, m):
        return {k: v for k, v in m.items() if k not in ("deleted", "start_ts", "seq")}

    def find(self, req):
        m = self.meetings.get(req.match["id"])
        if m is None or m["deleted"]:
            return None, zerr(404, 3001, f"Meeting does not exist: {req.match['id']}.")
        return m, None

    # ---- OAuth ---------------------------------------------------------------------------------
    @route("POST", r"^/oauth/token$")
    def token(self, req):
        creds = basic_auth(req)
        if creds != (self.args.client_id, self.args.client_secret):
            return 401, {}, INVALID_CLIENT
        p = {**req.form, **req.query}
        if p.get("grant_type") != "account_credentials":
            return 400, {}, {"reason": "Unsupported grant type", "error": "unsupported_grant_type"}
        if not p.get("account_id"):
            return 400, {}, {"reason": "Missing account_id", "error": "invalid_request"}  # UNCERTAIN wording
        if p["account_id"] != self.args.account_id:
            return 400, {}, {"reason": "Invalid account_id", "error": "invalid_request"}  # UNCERTAIN wording
        token = "eyJzdiI6IjAwMDAwMSJ9." + secrets.token_urlsafe(48)
        self.tokens[token] = {"issued": self.now(), "expires": self.now() + self.args.token_ttl, "expired": False}
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": self.args.token_ttl,
                         "scope": SCOPES, "api_url": "https://api.zoom.us"}

    # ---- meetings ------------------------------------------------------------------------------
    @route("POST", r"^/v2/users/(?P<user>[^/]+)/meetings$")
    def create(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        user_id = self.user(req.match["user"])
        if user_id is None:
            return zerr(404, 1001, f"User does not exist: {req.match['user']}.")
        fields = self.validate(req.json if req.is_json else None, creating=True)
        if isinstance(fields, tuple):
            return fields
        limited = self.count_daily(user_id)
        if limited:
            return limited
        seq = self.next_seq
        self.next_seq += 1
        mid = 85_000_000_000 + seq * 7_919 + 1_234
        pw = fields.get("password") or "".join(secrets.choice("ABCDEFGHJKabcdefghjk23456789") for _ in range(6))
        enc = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
        start_ts = fields.get("start_ts", self.now())
        m = {"uuid": base64.b64encode(secrets.token_bytes(16)).decode(), "id": mid, "host_id": user_id,
             "host_email": self.args.user_email, "topic": fields["topic"], "type": fields["type"],
             "status": "waiting", "start_time": iso(start_ts), "duration": fields["duration"],
             "timezone": fields.get("timezone", self.args.user_timezone), "agenda": fields.get("agenda", ""),
             "created_at": iso(self.now()),
             "start_url": f"https://us05web.zoom.us/s/{mid}?zak={secrets.token_urlsafe(24)}",
             "join_url": f"https://us05web.zoom.us/j/{mid}?pwd={enc}", "password": pw, "h323_password": pw,
             "pstn_password": pw, "encrypted_password": enc,
             "settings": {**DEFAULT_SETTINGS, **fields.get("settings", {})}, "pre_schedule": False,
             "deleted": False, "start_ts": start_ts, "seq": seq}
        self.meetings[str(mid)] = m
        return 201, {}, self.public(m)

    @route("GET", r"^/v2/users/(?P<user>[^/]+)/meetings$")
    def list_meetings(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        user_id = self.user(req.match["user"])
        if user_id is None:
            return zerr(404, 1001, f"User does not exist: {req.match['user']}.")
        q = req.query
        kind = q.get("type", "scheduled")
        now = self.now()
        keep = {"scheduled": lambda m: m["type"] in (2, 3, 8),
                "upcoming": lambda m: m["start_ts"] >= now or m["type"] == 3,
                "upcoming_meetings": lambda m: m["start_ts"] >= now or m["type"] == 3,
                "live": lambda m: False,
                "previous_meetings": lambda m: m["start_ts"] < now}.get(kind)
        if keep is None:
            return invalid("type")
        try:
            size = min(300, max(1, int(q.get("page_size", 30))))
            offset = int(q.get("next_page_token") or 0)
        except ValueError:
            return invalid("next_page_token")
        found = sorted((m for m in self.meetings.values() if not m["deleted"] and m["host_id"] == user_id and keep(m)),
                       key=lambda m: (m["start_ts"], m["seq"]))
        page = found[offset:offset + size]
        token = str(offset + size) if offset + size < len(found) else ""
        return 200, {}, {"page_size": size, "total_records": len(found), "next_page_token": token,
                         "meetings": [{k: m[k] for k in LIST_FIELDS} for m in page]}

    @route("GET", r"^/v2/meetings/(?P<id>[^/]+)$")
    def get(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        m, err = self.find(req)
        return err or (200, {}, self.public(m))

    @route("PATCH", r"^/v2/meetings/(?P<id>[^/]+)$")
    def patch(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        m, err = self.find(req)
        if err:
            return err
        fields = self.validate(req.json if req.is_json else None, creating=False, default_tz=m["timezone"])
        if isinstance(fields, tuple):
            return fields
        limited = self.count_daily(m["host_id"])
        if limited:
            return limited
        settings = fields.pop("settings", None)
        if settings is not None:
            m["settings"] = {**m["settings"], **settings}
        if "start_ts" in fields:
            m["start_time"] = iso(fields["start_ts"])
        if "password" in fields:
            m.update(h323_password=fields["password"], pstn_password=fields["password"])
        m.update(fields)
        return 204, {}, b""

    @route("DELETE", r"^/v2/meetings/(?P<id>[^/]+)$")
    def delete(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        m, err = self.find(req)
        if err:
            return err
        m["deleted"] = True
        return 204, {}, b""

    # ---- control ---------------------------------------------------------------------------------
    @route("GET", r"^/_fake/meetings$")
    def _meetings(self, req):
        """Control: every meeting ever created (deleted ones flagged), creation order."""
        return 200, {}, [{**self.public(m), "deleted": m["deleted"]}
                         for m in sorted(self.meetings.values(), key=lambda m: m["seq"])]

    @route("GET", r"^/_fake/tokens$")
    def _tokens(self, req):
        now = self.now()
        return 200, {}, [{"token": t, "expires_in": int(v["expires"] - now), "expired": v["expired"] or now >= v["expires"]}
                         for t, v in self.tokens.items()]

    @route("POST", r"^/_fake/tokens/expire$")
    def _expire(self, req):
        """Control: {"token": "..."} or {} for all issued tokens: they now get 401 code 124."""
        body = req.json if isinstance(req.json, dict) else {}
        which = [body["token"]] if body.get("token") else list(self.tokens)
        for t in which:
            if t in self.tokens:
                self.tokens[t]["expired"] = True
        return 200, {}, {"expired": len([t for t in which if t in self.tokens])}


if __name__ == "__main__":
    run(Zoom)
