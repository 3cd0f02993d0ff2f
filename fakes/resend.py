#!/usr/bin/env python3
"""Fake Resend API (api.resend.com) for integration tests: POST /emails, GET /emails/{id}.

Run: python3 fakes/resend.py --port 0 --port-file var/resend.port --api-key re_sandbox_key
"""
import hashlib
import json
import math
import os
import re
import sys
import time
import uuid

sys.dont_write_bytecode = True  # keep fakes/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeApp, route, run  # noqa: E402

ADDR = r"[^@\s<>\",;]+@[^@\s<>\",;]+\.[^@\s<>\",;]+"
ADDR_RX = re.compile(rf"^\s*(?:(?:\"[^\"]*\"|[^<>\"]*?)\s*<({ADDR})>|({ADDR}))\s*$")
ADDR_FORMAT = "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format."
NAMES = {400: "validation_error", 401: "missing_api_key", 403: "invalid_api_key", 404: "not_found",
         405: "method_not_allowed", 409: "invalid_idempotent_request", 422: "validation_error",
         429: "rate_limit_exceeded", 451: "security_error"}
MAX_RECIPIENTS = 50
UNLIMITED = 1_000_000  # ratelimit-limit shown when enforcement is off


def error(status, name, message, headers=None):
    return status, headers or {}, {"statusCode": status, "name": name, "message": message}


def concurrent_idempotent_requests():
    # Resend's idempotency-keys page: another request with this key is still in progress; a retry later is safe.
    return error(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still "
                 "in progress.")


def address(value):
    """The bare address of 'a@b.c' or 'Name <a@b.c>', else None."""
    m = ADDR_RX.match(value) if isinstance(value, str) else None
    return (m.group(1) or m.group(2)).lower() if m else None


def recipients(value):
    """A string or a list of strings -> list of the original strings, or None if malformed."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
        return None
    return items


class Resend(FakeApp):
    """Fake Resend API: POST /emails with Bearer re_... key, Idempotency-Key and a 2 req/s limit."""
    name = "resend"
    SELF_APPLYING = FakeApp.SELF_APPLYING + ("slow_send",)

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--api-key", required=True, help="expected key (Authorization: Bearer re_...)")
        parser.add_argument("--rate-limit", type=int, default=2,
                            help="requests per second before 429 (0 = not enforced; default 2)")
        parser.add_argument("--verified-domains", default="",
                            help="comma-separated sender domains; empty = every domain is verified")
        parser.add_argument("--idempotency-ttl", type=float, default=86400.0,
                            help="seconds an Idempotency-Key is remembered (default 24 h)")

    def reset_state(self):
        self.emails = []        # "sent" emails in send order
        self.by_id = {}
        self.idempotency = {}   # key -> {"fingerprint", "status", "body", "t", "replays"}
        self.in_progress = {}   # Idempotency-Key -> requests with it still being processed (fault slow_send)
        self.window = []        # fake-clock times of requests admitted in the last second
        self.rate_limit = self.args.rate_limit
        domains = [d.strip().lower() for d in self.args.verified_domains.split(",") if d.strip()]
        self.verified_domains = domains

    # ---- provider-specific bodies and headers ----------------------------------------
    def rate_limit_body(self):
        n = self.rate_limit or 2
        return {"statusCode": 429, "name": "rate_limit_exceeded",
                "message": f"Too many requests. You can only make {n} requests per second. See rate limit "
                           "response headers for more information. Or contact support to increase rate limit."}

    def error_body(self, status):
        if status >= 500:
            return {"statusCode": status, "name": "internal_server_error", "message": "An unexpected error occurred."}
        return {"statusCode": status, "name": NAMES.get(status, "application_error"), "message": "Fake error."}

    def sample_body(self):
        return {"id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"}

    def _prune(self):
        now = self.now()
        self.window = [t for t in self.window if now - 1.0 < t <= now]
        return now

    def response_headers(self, req, status):
        now = self._prune()
        limit = self.rate_limit or UNLIMITED
        reset = max(1, math.ceil(self.window[0] + 1.0 - now)) if self.window else 1
        return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(max(0, limit - len(self.window))),
                "ratelimit-reset": str(reset)}

    # provider-specific fault modes
    def fault_daily_quota(self, f, req):
        return error(429, "daily_quota_exceeded", "You have reached your daily email sending quota.")

    def fault_monthly_quota(self, f, req):
        return error(429, "monthly_quota_exceeded", "You have reached your monthly email sending quota.")

    def fault_concurrent_idempotent_requests(self, f, req):
        """The answer Resend gives while another request with the same key is still in progress."""
        return concurrent_idempotent_requests()

    def fault_slow_send(self, f, req):
        """This request takes `seconds` before it is processed; meanwhile its Idempotency-Key is in progress,
        so another request with that key gets 409 concurrent_idempotent_requests, as from Resend."""
        key = req.header("Idempotency-Key")
        with self.lock:
            self.in_progress[key] = self.in_progress.get(key, 0) + 1
        try:
            time.sleep(float(f.get("seconds", 1)))
            req.in_progress = True  # the request in progress itself is processed, not refused
            return self.dispatch(req)
        finally:
            with self.lock:
                self.in_progress[key] -= 1
                if not self.in_progress[key]:
                    del self.in_progress[key]

    # ---- API ----------------------------------------------------------------------------
    def authorize(self, req):
        """None when the key is right, else the error response."""
        value = req.header("Authorization")
        if not value or not value.strip():
            return error(401, "missing_api_key", "Missing API key in the authorization header. Include the "
                         "following header Authorization: Bearer YOUR_API_KEY in the request.")
        if value != f"Bearer {self.args.api_key}":
            return error(403, "invalid_api_key", "API key is invalid")
        return None

    def throttle(self):
        """None when the request fits in the per-second budget, else the 429 response."""
        now = self._prune()
        if self.rate_limit and len(self.window) >= self.rate_limit:
            retry = max(1, math.ceil(self.window[0] + 1.0 - now))
            return 429, {"retry-after": str(retry)}, self.rate_limit_body()
        self.window.append(now)
        return None

    def validate(self, body):
        if not isinstance(body, dict):
            return error(422, "validation_error", "The request body must be a JSON object.")
        for field in ("from", "to", "subject"):
            if body.get(field) in (None, "", []):
                return error(422, "missing_required_field", f"Missing `{field}` field.")
        if address(body["from"]) is None:
            return error(422, "validation_error", f"Invalid `from` field. {ADDR_FORMAT}")
        for field in ("to", "cc", "bcc", "reply_to"):
            if body.get(field) in (None, [], ""):
                continue
            items = recipients(body[field])
            if items is None or any(address(x) is None for x in items):
                return error(422, "validation_error", f"Invalid `{field}` field. {ADDR_FORMAT}")
            if len(items) > MAX_RECIPIENTS:
                return error(422, "validation_error",
                             f"Too many recipients in `{field}` field. The maximum is {MAX_RECIPIENTS}.")
        if not isinstance(body["subject"], str):
            return error(422, "validation_error", "Invalid `subject` field. It must be a string.")
        if not any(isinstance(body.get(k), str) and body[k] for k in ("html", "text")):
            return error(422, "missing_required_field", "Missing `html` or `text` field.")
        domain = address(body["from"]).rsplit("@", 1)[1]
        if self.verified_domains and domain not in self.verified_domains:
            return error(403, "validation_error", f"The {domain} domain is not verified. Please, add and "
                         "verify your domain on https://resend.com/domains")
        return None

    @route("POST", r"^/emails/?$")
    def send_email(self, req):
        denied = self.authorize(req) or self.throttle()
        if denied:
            return denied
        key = req.header("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 256:
            return error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
        body = req.json if req.is_json else None
        fingerprint = hashlib.sha256(
            (json.dumps(body, sort_keys=True) if req.is_json else req.body).encode()).hexdigest()
        if key is not None:
            now = self.now()
            self.idempotency = {k: v for k, v in self.idempotency.items()
                                if now - v["t"] < self.args.idempotency_ttl}
            if key in self.in_progress and not getattr(req, "in_progress", False):
                return concurrent_idempotent_requests()
            seen = self.idempotency.get(key)
            if seen and seen["fingerprint"] != fingerprint:
                return error(409, "invalid_idempotent_request", "Same idempotency key used with a different "
                             "request payload. Change your idempotency key or payload.")
            if seen:
                seen["replays"] += 1
                return seen["status"], {}, seen["body"]
        if not req.is_json:
            return error(400, "validation_error", "Invalid JSON in the request body.")
        invalid = self.validate(body)
        if invalid:
            return invalid
        email_id = str(uuid.uuid4())
        listed = lambda k: recipients(body[k]) if body.get(k) not in (None, "", []) else []  # noqa: E731
        email = {"id": email_id, "from": body["from"], "to": listed("to"), "cc": listed("cc"),
                 "bcc": listed("bcc"), "reply_to": listed("reply_to"), "subject": body["subject"],
                 "html": body.get("html"), "text": body.get("text"), "headers": body.get("headers"),
                 "tags": body.get("tags"), "attachments": body.get("attachments"),
                 "scheduled_at": body.get("scheduled_at"), "idempotency_key": key,
                 "created_at": time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(self.now()))}
        self.emails.append(email)
        self.by_id[email_id] = email
        response = {"id": email_id}
        if key is not None:
            self.idempotency[key] = {"fingerprint": fingerprint, "status": 200, "body": response,
                                     "t": self.now(), "replays": 0, "email_id": email_id}
        return 200, {}, response

    @route("GET", r"^/emails/(?P<id>[^/]+)$")
    def get_email(self, req):
        denied = self.authorize(req) or self.throttle()
        if denied:
            return denied
        email = self.by_id.get(req.match["id"])
        if not email:
            return error(404, "not_found", "Email not found")
        return 200, {}, {"object": "email", "last_event": "delivered",
                         **{k: email[k] for k in ("id", "to", "from", "created_at", "subject", "html", "text",
                                                  "cc", "bcc", "reply_to", "scheduled_at")}}

    # ---- control ---------------------------------------------------------------------------
    @route("GET", r"^/_fake/(emails|messages)$")
    def _sent(self, req):
        """Control: emails actually "sent", in order; ?to=addr filters on a recipient."""
        to = (req.query.get("to") or "").lower()
        return 200, {}, [dict(e) for e in self.emails
                         if not to or to in (address(x) for x in e["to"] + e["cc"] + e["bcc"])]

    @route("GET", r"^/_fake/idempotency$")
    def _keys(self, req):
        return 200, {}, {k: {kk: v[kk] for kk in ("status", "body", "t", "replays", "email_id")}
                         for k, v in self.idempotency.items()}

    @route("POST", r"^/_fake/config$")
    def _config(self, req):
        """Control: {"rate_limit": N} (0 = off) and/or {"verified_domains": [...]}."""
        body = req.json if isinstance(req.json, dict) else {}
        if "rate_limit" in body:
            n = body["rate_limit"]
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                return 400, {}, {"error": "rate_limit must be a non-negative integer"}
            self.rate_limit, self.window = n, []
        if "verified_domains" in body:
            self.verified_domains = [str(d).lower() for d in body["verified_domains"] or []]
        return 200, {}, {"rate_limit": self.rate_limit, "verified_domains": self.verified_domains}


if __name__ == "__main__":
    run(Resend)
