#!/usr/bin/env python3
"""Fake Google: service-account token endpoint, Sheets API v4 (values + grid), Calendar API v3.

Run:  python3 fakes/google.py --port 0 --port-file var/google.port --service-account var/google-sa.json
Keys: python3 fakes/google.py keygen var/google-sa.json [--email E] [--token-uri U]   (throwaway key; never commit)

Needs the `cryptography` package (Debian python3-cryptography) to verify RS256 assertions.
"""
import base64
import copy
import datetime
import json
import os
import re
import secrets
import sys
import time
from urllib.parse import parse_qsl, unquote

sys.dont_write_bytecode = True  # keep fakes/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeApp, route, run  # noqa: E402

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SHEETS_SCOPES = {"https://www.googleapis.com/auth/spreadsheets",
                 "https://www.googleapis.com/auth/spreadsheets.readonly"}
CALENDAR_SCOPES = {"https://www.googleapis.com/auth/calendar",
                   "https://www.googleapis.com/auth/calendar.events",
                   "https://www.googleapis.com/auth/calendar.readonly",
                   "https://www.googleapis.com/auth/calendar.events.readonly"}
KNOWN_SCOPES = SHEETS_SCOPES | CALENDAR_SCOPES | {"https://www.googleapis.com/auth/drive"}
READONLY = {"https://www.googleapis.com/auth/spreadsheets.readonly",
            "https://www.googleapis.com/auth/calendar.readonly",
            "https://www.googleapis.com/auth/calendar.events.readonly"}
SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
               "Check your iat and exp values in the JWT claim.")
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")


# ---- helpers ----------------------------------------------------------------------------------
def gerror(code, message, status=None, reason=None, domain="global"):
    """A Google API error response: {"error": {"code", "message", "status", "errors": [...]}}."""
    body = {"code": code, "message": message}
    if status:
        body["status"] = status
    if reason:
        body["errors"] = [{"domain": domain, "reason": reason, "message": message}]
    return code, {}, {"error": body}


def oauth_error(status, error, description):
    return status, {}, {"error": error, "error_description": description}


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_time(text):
    """RFC 3339 date-time (or a date) → aware datetime; None when malformed."""
    if not isinstance(text, str):
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc)
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else None
    except ValueError:
        return None


def event_time(event, key):
    part = event.get(key) or {}
    return parse_time(part.get("dateTime") or part.get("date"))


def rfc3339(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def column_number(letters):
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def column_letters(n):
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def formatted(value):
    """A stored cell as FORMATTED_VALUE text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def generate_service_account(path, email="chatbots-sandbox@fake-project.iam.gserviceaccount.com",
                             token_uri="https://oauth2.googleapis.com/token"):
    """Writes a throwaway service-account key file (mode 0600) in Google's format."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "fake-project", "private_key_id": secrets.token_hex(20),
            "private_key": pem, "client_email": email, "client_id": str(secrets.randbits(64)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh, indent=2)
    os.replace(path + ".tmp", path)
    return info


# ---- A1 ranges ----------------------------------------------------------------------------------
class A1:
    """A parsed range: sheet title (None = first sheet) and 1-based bounds (None = open)."""

    CELL = re.compile(r"^([A-Za-z]*)(\d*)$")

    def __init__(self, text):
        self.text = text
        sheet, cells = None, text
        if text.startswith("'"):
            i, name = 1, ""
            while i < len(text):
                if text[i] == "'":
                    if text[i + 1:i + 2] == "'":
                        name, i = name + "'", i + 2
                        continue
                    break
                name, i = name + text[i], i + 1
            else:
                raise ValueError("unterminated quote")
            rest = text[i + 1:]
            if rest and not rest.startswith("!"):
                raise ValueError("junk after the sheet name")
            sheet, cells = name, rest[1:]
        elif "!" in text:
            sheet, cells = text.rsplit("!", 1)
        elif not re.fullmatch(r"[A-Za-z]{0,3}\d*(:[A-Za-z]{0,3}\d*)?", text):
            sheet, cells = text, ""
        self.sheet = sheet
        self.r1 = self.c1 = 1
        self.r2 = self.c2 = None
        if cells:
            parts = cells.split(":")
            if len(parts) > 2:
                raise ValueError("too many colons")
            start = self.CELL.match(parts[0])
            end = self.CELL.match(parts[-1])
            if not start or not end or not (parts[0] and parts[-1]):
                raise ValueError("bad cell reference")
            self.c1 = column_number(start.group(1)) if start.group(1) else 1
            self.r1 = int(start.group(2)) if start.group(2) else 1
            if len(parts) == 1:
                self.c2, self.r2 = self.c1, self.r1
            else:
                self.c2 = column_number(end.group(1)) if end.group(1) else None
                self.r2 = int(end.group(2)) if end.group(2) else None
            if self.r1 < 1 or self.c1 < 1 or (self.r2 is not None and self.r2 < self.r1) \
                    or (self.c2 is not None and self.c2 < self.c1):
                raise ValueError("bad bounds")


class Spreadsheet:
    def __init__(self, sid, sheets):
        self.id, self.sheets, self.next_sheet_id = sid, [], 0
        for spec in sheets:
            self.add(spec.get("title", "Sheet1"), spec.get("rowCount", 1000), spec.get("columnCount", 26))

    def add(self, title, rows=1000, cols=26):
        sheet = {"sheetId": self.next_sheet_id, "title": title, "rowCount": int(rows), "columnCount": int(cols),
                 "cells": {}}
        self.next_sheet_id += 1
        self.sheets.append(sheet)
        return sheet

    def sheet(self, title):
        if title is None:
            return self.sheets[0] if self.sheets else None
        return next((s for s in self.sheets if s["title"] == title), None)

    def properties(self, sheet):
        return {"sheetId": sheet["sheetId"], "title": sheet["title"], "index": self.sheets.index(sheet),
                "sheetType": "GRID",
                "gridProperties": {"rowCount": sheet["rowCount"], "columnCount": sheet["columnCount"]}}

    @staticmethod
    def rows(sheet):
        """The grid as lists, trailing empty cells and rows omitted."""
        cells = sheet["cells"]
        if not cells:
            return []
        last_row = max(r for r, _ in cells)
        out = []
        for r in range(1, last_row + 1):
            cols = [c for (rr, c) in cells if rr == r]
            out.append([formatted(cells.get((r, c), "")) for c in range(1, max(cols) + 1)] if cols else [])
        return out


# ---- the fake -------------------------------------------------------------------------------------
class Google(FakeApp):
    """Fake Google token endpoint + Sheets v4 + Calendar v3."""
    name = "google"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--service-account", action="append", default=[], required=True,
                            help="service-account key file whose public key verifies assertions (repeatable)")
        parser.add_argument("--audience", help="expected JWT aud (default http://<Host header>/token)")
        parser.add_argument("--token-lifetime", type=int, default=3600, help="expires_in of issued tokens")
        parser.add_argument("--max-skew", type=int, default=300, help="allowed clock skew of iat/exp (seconds)")
        parser.add_argument("--spreadsheet", action="append", default=[],
                            help="spreadsheet id to create at start (with a tab named by --sheet-name)")
        parser.add_argument("--sheet-name", default="Leads")
        parser.add_argument("--calendar", action="append", default=[], help="calendar id to create at start")

    def __init__(self, args):
        self.keys = {}
        for path in args.service_account:
            with open(path) as fh:
                info = json.load(fh)
            key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
            self.keys[info["client_email"]] = key.public_key()
        super().__init__(args)

    def reset_state(self):
        self.tokens = {}          # access token -> {"expires": wall time, "scopes": set, "iss": email}
        self.token_lifetime = self.args.token_lifetime
        self.max_skew = self.args.max_skew
        self.spreadsheets = {sid: Spreadsheet(sid, [{"title": self.args.sheet_name}])
                             for sid in self.args.spreadsheet}
        self.calendars = {cid: {"events": {}, "busy": []} for cid in self.args.calendar}
        self.event_seq = 0

    def rate_limit_body(self):
        return {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                          "message": "Quota exceeded for quota metric 'Write requests' and limit "
                                     "'Write requests per minute per user'."}}

    def sample_body(self):
        return {"spreadsheetId": "x", "totalUpdatedRows": 1, "responses": []}

    # provider fault modes ---------------------------------------------------------------------------
    def fault_rate_limited(self, f, req):
        return 429, f.get("headers", {}), self.rate_limit_body()

    def fault_unavailable(self, f, req):
        return gerror(int(f.get("status", 503)), "The service is currently unavailable.", "UNAVAILABLE")

    def fault_internal(self, f, req):
        return gerror(500, "Internal error encountered.", "INTERNAL", "backendError")

    def fault_calendar_rate_limited(self, f, req):
        return gerror(403, "Rate Limit Exceeded", None, "rateLimitExceeded", "usageLimits")

    def fault_forbidden_sa(self, f, req):
        return gerror(403, "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
                      None, "forbiddenForServiceAccounts", "calendar")

    def fault_invalid_grant(self, f, req):
        return oauth_error(400, "invalid_grant", f.get("description", SHORT_LIVED))

    def fault_expired_token(self, f, req):
        return self.unauthenticated()

    # ---- token endpoint -------------------------------------------------------------------------------
    @route("POST", r"^/token$")
    def token(self, req):
        form = dict(parse_qsl(req.body, keep_blank_values=True))
        if "application/x-www-form-urlencoded" not in (req.header("Content-Type") or ""):
            return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        if form.get("grant_type") != JWT_GRANT:
            return oauth_error(400, "unsupported_grant_type", "Invalid grant_type: " + form.get("grant_type", ""))
        parts = form.get("assertion", "").split(".")
        if len(parts) != 3:
            return oauth_error(400, "invalid_grant", "Invalid JWT: not a compact JWS")
        try:
            header, claims = json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            return oauth_error(400, "invalid_grant", "Invalid JWT: undecodable")
        if header.get("alg") != "RS256":
            return oauth_error(400, "invalid_grant", "Invalid JWT: alg must be RS256")
        key = self.keys.get(claims.get("iss"))
        if key is None:
            return oauth_error(400, "invalid_grant", "Invalid grant: account not found")
        try:
            key.verify(signature, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        audience = self.args.audience or f"http://{req.header('Host', '')}/token"
        if claims.get("aud") != audience:
            return oauth_error(400, "invalid_grant", f"Invalid JWT: aud must be {audience}")
        scopes = set(str(claims.get("scope", "")).split())
        if not scopes:
            return oauth_error(400, "invalid_scope", "Empty or missing scope not allowed.")
        if not scopes <= KNOWN_SCOPES:
            return oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)) \
                or not 0 < exp - iat <= 3600 or abs(iat - now) > self.max_skew or exp < now - self.max_skew:
            return oauth_error(400, "invalid_grant", SHORT_LIVED)
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        self.tokens[token] = {"expires": now + self.token_lifetime, "scopes": scopes, "iss": claims["iss"]}
        return 200, {"Cache-Control": "no-store"}, {"access_token": token, "expires_in": self.token_lifetime,
                                                    "token_type": "Bearer"}

    def unauthenticated(self):
        status, headers, body = gerror(
            401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                 "other valid authentication credential.", "UNAUTHENTICATED")
        return status, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}, body

    def authorize(self, req, allowed, write):
        """None when the bearer token is valid for one of `allowed` scopes, else the error response."""
        auth = req.header("Authorization") or ""
        info = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if info is None or info["expires"] <= time.time():
            return self.unauthenticated()
        usable = info["scopes"] & allowed
        if write:
            usable -= READONLY
        if not usable:
            return gerror(403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED",
                          "insufficientPermissions")
        return None

    # ---- Sheets ------------------------------------------------------------------------------------------
    def spreadsheet(self, req, write):
        denied = self.authorize(req, SHEETS_SCOPES, write)
        if denied:
            return None, denied
        book = self.spreadsheets.get(unquote(req.match.group(1)))
        if book is None:
            return None, gerror(404, "Requested entity was not found.", "NOT_FOUND")
        return book, None

    @staticmethod
    def bad_range(text):
        return gerror(400, f"Unable to parse range: {text}", "INVALID_ARGUMENT")

    def resolve(self, book, text):
        """(sheet, A1) or an error response; checks the range against the grid."""
        try:
            a1 = A1(text)
        except ValueError:
            return None, None, self.bad_range(text)
        sheet = book.sheet(a1.sheet)
        if sheet is None:
            return None, None, self.bad_range(text)
        rows, cols = sheet["rowCount"], sheet["columnCount"]
        if a1.r1 > rows or a1.c1 > cols or (a1.r2 or 0) > rows or (a1.c2 or 0) > cols:
            ref = column_letters(max(a1.c1, a1.c2 or 0)) + str(max(a1.r1, a1.r2 or 0))
            return None, None, gerror(400, f"Range ('{sheet['title']}'!{ref}) exceeds grid limits. "
                                            f"Max rows: {rows}, max columns: {cols}", "INVALID_ARGUMENT")
        return sheet, a1, None

    @staticmethod
    def a1_text(sheet, r1, c1, r2, c2):
        return f"'{sheet['title']}'!{column_letters(c1)}{r1}:{column_letters(c2)}{r2}"

    def write(self, sheet, a1, values, option):
        """Validates and returns a closure applying `values` at a1's top-left, or an error response."""
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            return None, gerror(400, "Invalid values: must be a list of lists", "INVALID_ARGUMENT")
        height = len(values)
        width = max((len(r) for r in values), default=0)
        r2 = a1.r2 if a1.r2 is not None else sheet["rowCount"]
        c2 = a1.c2 if a1.c2 is not None else sheet["columnCount"]
        if height and (a1.r1 + height - 1 > r2 or a1.c1 + width - 1 > c2):
            return None, gerror(400, f"Requested writing within range [{a1.text}], but tried writing to row "
                                     f"[{a1.r1 + height - 1}]", "INVALID_ARGUMENT")
        for row in values:
            for v in row:
                if v is not None and not isinstance(v, (str, int, float, bool)):
                    return None, gerror(400, "Invalid value: cells must be strings, numbers or booleans",
                                        "INVALID_ARGUMENT")

        def apply():
            for i, row in enumerate(values):
                for j, v in enumerate(row):
                    key = (a1.r1 + i, a1.c1 + j)
                    if v is None:
                        continue  # null leaves the cell unchanged
                    if isinstance(v, str) and option == "USER_ENTERED":
                        v = v[1:] if v.startswith("'") else v
                    if v == "":
                        sheet["cells"].pop(key, None)
                    else:
                        sheet["cells"][key] = v
            end_r, end_c = a1.r1 + max(height, 1) - 1, a1.c1 + max(width, 1) - 1
            return {"spreadsheetId": "", "updatedRange": self.a1_text(sheet, a1.r1, a1.c1, end_r, end_c),
                    "updatedRows": height, "updatedColumns": width,
                    "updatedCells": sum(len(r) for r in values)}
        return apply, None

    @staticmethod
    def input_option(value):
        if value not in ("RAW", "USER_ENTERED"):
            return gerror(400, "'valueInputOption' is required but not specified" if not value
                          else f"Invalid valueInputOption: {value}", "INVALID_ARGUMENT")
        return None

    @route("GET", r"^/v4/spreadsheets/([^/:]+)$")
    def get_spreadsheet(self, req):
        book, err = self.spreadsheet(req, write=False)
        if err:
            return err
        return 200, {}, {"spreadsheetId": book.id, "properties": {"title": book.id},
                         "sheets": [{"properties": book.properties(s)} for s in book.sheets]}

    @route("POST", r"^/v4/spreadsheets/([^/:]+):batchUpdate$")
    def batch_update_spreadsheet(self, req):
        book, err = self.spreadsheet(req, write=True)
        if err:
            return err
        requests = (req.json or {}).get("requests") if isinstance(req.json, dict) else None
        if not isinstance(requests, list) or not requests:
            return gerror(400, "Must specify at least one request.", "INVALID_ARGUMENT")
        staged = copy.deepcopy(book)  # all or nothing
        replies = []
        for r in requests:
            if "addSheet" in r:
                p = r["addSheet"].get("properties", {})
                title = p.get("title") or f"Sheet{len(staged.sheets) + 1}"
                if staged.sheet(title):
                    return gerror(400, f'Invalid requests[{len(replies)}].addSheet: A sheet with the name "{title}" '
                                       "already exists. Please enter another name.", "INVALID_ARGUMENT")
                g = p.get("gridProperties", {})
                sheet = staged.add(title, g.get("rowCount", 1000), g.get("columnCount", 26))
                replies.append({"addSheet": {"properties": staged.properties(sheet)}})
            elif "updateSheetProperties" in r:
                u = r["updateSheetProperties"]
                p, fields = u.get("properties", {}), u.get("fields", "")
                sheet = next((s for s in staged.sheets if s["sheetId"] == p.get("sheetId")), None)
                if sheet is None or not fields:
                    return gerror(400, "Invalid updateSheetProperties request", "INVALID_ARGUMENT")
                g = p.get("gridProperties", {})
                for field in fields.split(","):
                    name = field.strip().split(".")[-1]
                    if name in ("rowCount", "columnCount"):
                        sheet[name] = int(g.get(name, sheet[name]))
                    elif name == "title":
                        sheet["title"] = p.get("title", sheet["title"])
                sheet["cells"] = {k: v for k, v in sheet["cells"].items()
                                  if k[0] <= sheet["rowCount"] and k[1] <= sheet["columnCount"]}
                replies.append({})
            elif "appendDimension" in r:
                a = r["appendDimension"]
                sheet = next((s for s in staged.sheets if s["sheetId"] == a.get("sheetId")), None)
                if sheet is None or a.get("dimension") not in ("ROWS", "COLUMNS"):
                    return gerror(400, "Invalid appendDimension request", "INVALID_ARGUMENT")
                sheet["rowCount" if a["dimension"] == "ROWS" else "columnCount"] += int(a.get("length", 0))
                replies.append({})
            else:
                return gerror(400, f"Unsupported request: {sorted(r)}", "INVALID_ARGUMENT")
        self.spreadsheets[book.id] = staged
        return 200, {}, {"spreadsheetId": book.id, "replies": replies}

    @route("POST", r"^/v4/spreadsheets/([^/:]+)/values:batchUpdate$")
    def values_batch_update(self, req):
        book, err = self.spreadsheet(req, write=True)
        if err:
            return err
        body = req.json if isinstance(req.json, dict) else {}
        err = self.input_option(body.get("valueInputOption"))
        if err:
            return err
        applies = []
        for vr in body.get("data") or []:
            sheet, a1, err = self.resolve(book, vr.get("range", "") if isinstance(vr, dict) else "")
            if err:
                return err
            apply, err = self.write(sheet, a1, vr.get("values", []), body["valueInputOption"])
            if err:
                return err
            applies.append(apply)
        responses = [dict(a(), spreadsheetId=book.id) for a in applies]
        return 200, {}, {"spreadsheetId": book.id, "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                         "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
                         "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
                         "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
                         "responses": responses}

    @route("GET", r"^/v4/spreadsheets/([^/:]+)/values/(.+)$")
    def values_get(self, req):
        book, err = self.spreadsheet(req, write=False)
        if err:
            return err
        text = unquote(req.match.group(2))
        sheet, a1, err = self.resolve(book, text)
        if err:
            return err
        r2 = a1.r2 if a1.r2 is not None else sheet["rowCount"]
        c2 = a1.c2 if a1.c2 is not None else sheet["columnCount"]
        rows = []
        for r in range(a1.r1, r2 + 1):
            row = [sheet["cells"].get((r, c), "") for c in range(a1.c1, c2 + 1)]
            while row and row[-1] == "":
                row.pop()
            rows.append([formatted(v) for v in row])
        while rows and not rows[-1]:
            rows.pop()
        out = {"range": self.a1_text(sheet, a1.r1, a1.c1, r2, c2), "majorDimension": "ROWS"}
        if rows:
            out["values"] = rows
        return 200, {}, out

    @route("PUT", r"^/v4/spreadsheets/([^/:]+)/values/(.+)$")
    def values_update(self, req):
        book, err = self.spreadsheet(req, write=True)
        if err:
            return err
        err = self.input_option(req.query.get("valueInputOption"))
        if err:
            return err
        text = unquote(req.match.group(2))
        body = req.json if isinstance(req.json, dict) else {}
        if "range" in body and body["range"] != text:
            return gerror(400, f"Requested writing within range [{text}], but the body's range is "
                               f"[{body['range']}]", "INVALID_ARGUMENT")
        sheet, a1, err = self.resolve(book, text)
        if err:
            return err
        apply, err = self.write(sheet, a1, body.get("values", []), req.query["valueInputOption"])
        if err:
            return err
        return 200, {}, dict(apply(), spreadsheetId=book.id)

    @route("POST", r"^/v4/spreadsheets/([^/:]+)/values/(.+):append$")
    def values_append(self, req):
        book, err = self.spreadsheet(req, write=True)
        if err:
            return err
        err = self.input_option(req.query.get("valueInputOption"))
        if err:
            return err
        text = unquote(req.match.group(2))
        try:
            a1 = A1(text)
        except ValueError:
            return self.bad_range(text)
        sheet = book.sheet(a1.sheet)
        if sheet is None:
            return self.bad_range(text)
        body = req.json if isinstance(req.json, dict) else {}
        values = body.get("values", [])
        last = max((r for (r, c) in sheet["cells"] if c >= a1.c1 and (a1.c2 is None or c <= a1.c2)), default=0)
        start = max(last + 1, a1.r1)
        end = start + max(len(values), 1) - 1
        sheet["rowCount"] = max(sheet["rowCount"], end)  # append grows the grid
        target = A1(f"'{sheet['title']}'!{column_letters(a1.c1)}{start}")
        target.r2 = target.c2 = None
        apply, err = self.write(sheet, target, values, req.query["valueInputOption"])
        if err:
            return err
        updates = dict(apply(), spreadsheetId=book.id)
        table = self.a1_text(sheet, a1.r1, a1.c1, max(last, a1.r1), a1.c2 or sheet["columnCount"]) if last else None
        out = {"spreadsheetId": book.id, "updates": updates}
        if table:
            out["tableRange"] = table
        return 200, {}, out

    # ---- Calendar --------------------------------------------------------------------------------------
    def calendar(self, req, write):
        denied = self.authorize(req, CALENDAR_SCOPES, write)
        if denied:
            return None, None, denied
        cid = unquote(req.match.group(1))
        cal = self.calendars.get(cid)
        if cal is None:
            return None, None, gerror(404, "Not Found", None, "notFound")
        return cid, cal, None

    @route("POST", r"^/calendar/v3/freeBusy$")
    def free_busy(self, req):
        denied = self.authorize(req, CALENDAR_SCOPES, write=False)
        if denied:
            return denied
        body = req.json if isinstance(req.json, dict) else {}
        t_min, t_max = parse_time(body.get("timeMin")), parse_time(body.get("timeMax"))
        if t_min is None or t_max is None:
            return gerror(400, "Missing timeMin or timeMax." if not (body.get("timeMin") and body.get("timeMax"))
                          else "Bad Request", None, "badRequest")
        if t_max <= t_min:
            return gerror(400, "The specified time range is empty.", None, "timeRangeEmpty", "calendar")
        calendars = {}
        for item in body.get("items") or []:
            cid = item.get("id") if isinstance(item, dict) else None
            cal = self.calendars.get(cid)
            if cal is None:
                calendars[cid] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                continue
            busy = []
            for e in cal["events"].values():
                start, end = event_time(e, "start"), event_time(e, "end")
                if e.get("status") == "cancelled" or e.get("transparency") == "transparent" or not start or not end:
                    continue
                if start < t_max and end > t_min:
                    busy.append((max(start, t_min), min(end, t_max)))
            for b in cal["busy"]:
                start, end = parse_time(b["start"]), parse_time(b["end"])
                if start < t_max and end > t_min:
                    busy.append((max(start, t_min), min(end, t_max)))
            busy.sort()
            calendars[cid] = {"busy": [{"start": s.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                        "end": e.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
                                       for s, e in busy]}
        return 200, {}, {"kind": "calendar#freeBusy", "timeMin": body["timeMin"], "timeMax": body["timeMax"],
                         "calendars": calendars}

    @route("GET", r"^/calendar/v3/calendars/([^/]+)/events$")
    def list_events(self, req):
        cid, cal, err = self.calendar(req, write=False)
        if err:
            return err
        q = req.query
        if q.get("orderBy") == "startTime" and q.get("singleEvents") != "true":
            return gerror(400, "The requested ordering is not available for the particular query.", None,
                          "badRequest")
        try:
            size = int(q.get("maxResults", "250"))
            offset = int(q["pageToken"][1:]) if "pageToken" in q else 0
            assert 1 <= size and offset >= 0 and q.get("pageToken", "p").startswith("p")
        except (ValueError, AssertionError):
            return gerror(400, "Invalid value for maxResults or pageToken", None, "invalid")
        size = min(size, 2500)
        t_min, t_max = parse_time(q.get("timeMin")), parse_time(q.get("timeMax"))
        if ("timeMin" in q and t_min is None) or ("timeMax" in q and t_max is None):
            return gerror(400, "Bad Request", None, "badRequest")
        items = []
        for e in cal["events"].values():
            if e.get("status") == "cancelled" and q.get("showDeleted") != "true":
                continue
            start, end = event_time(e, "start"), event_time(e, "end")
            if (t_min and end and end <= t_min) or (t_max and start and start >= t_max):
                continue
            items.append(e)
        if q.get("orderBy") == "startTime":
            items.sort(key=lambda e: (event_time(e, "start"), e["id"]))
        else:
            items.sort(key=lambda e: e["_seq"])
        page = [self.public_event(e) for e in items[offset:offset + size]]
        out = {"kind": "calendar#events", "summary": cid, "timeZone": "UTC", "items": page}
        if offset + size < len(items):
            out["nextPageToken"] = f"p{offset + size}"
        return 200, {}, out

    @staticmethod
    def public_event(e):
        return {k: v for k, v in e.items() if not k.startswith("_")}

    @route("POST", r"^/calendar/v3/calendars/([^/]+)/events$")
    def insert_event(self, req):
        cid, cal, err = self.calendar(req, write=True)
        if err:
            return err
        body = req.json if isinstance(req.json, dict) else None
        if body is None:
            return gerror(400, "Parse Error", None, "parseError")
        if not isinstance(body.get("start"), dict) or event_time(body, "start") is None:
            return gerror(400, "Missing start time." if "start" not in body else "Invalid start time.", None,
                          "required")
        if not isinstance(body.get("end"), dict) or event_time(body, "end") is None:
            return gerror(400, "Missing end time." if "end" not in body else "Invalid end time.", None, "required")
        if event_time(body, "end") < event_time(body, "start"):
            return gerror(400, "The specified time range is empty.", None, "timeRangeEmpty", "calendar")
        eid = body.get("id")
        if eid is not None and (not isinstance(eid, str) or not EVENT_ID.match(eid)):
            return gerror(400, "Invalid resource id value.", None, "invalid")
        if eid in cal["events"]:
            return gerror(409, "The requested identifier already exists.", None, "duplicate")
        self.event_seq += 1
        eid = eid or f"fake{self.event_seq:08d}{secrets.token_hex(4)}"
        now = rfc3339(time.time())
        event = dict(body, id=eid, kind="calendar#event", status=body.get("status", "confirmed"),
                     etag=f'"{self.event_seq}"', created=now, updated=now,
                     htmlLink=f"https://calendar.google.com/calendar/event?eid={eid}", _seq=self.event_seq)
        cal["events"][eid] = event
        return 200, {}, self.public_event(event)

    def find_event(self, req, write):
        cid, cal, err = self.calendar(req, write)
        if err:
            return None, None, err
        event = cal["events"].get(unquote(req.match.group(2)))
        if event is None:
            return None, None, gerror(404, "Not Found", None, "notFound")
        return cal, event, None

    @route("GET", r"^/calendar/v3/calendars/([^/]+)/events/([^/]+)$")
    def get_event(self, req):
        cal, event, err = self.find_event(req, write=False)
        return err or (200, {}, self.public_event(event))

    @route("PATCH", r"^/calendar/v3/calendars/([^/]+)/events/([^/]+)$")
    def patch_event(self, req):
        cal, event, err = self.find_event(req, write=True)
        if err:
            return err
        if not isinstance(req.json, dict):
            return gerror(400, "Parse Error", None, "parseError")

        def merge(target, changes):
            for k, v in changes.items():
                if k in ("id", "kind", "etag", "created", "htmlLink") or k.startswith("_"):
                    continue
                if isinstance(v, dict) and isinstance(target.get(k), dict):
                    merge(target[k], v)
                elif v is None:
                    target.pop(k, None)
                else:
                    target[k] = copy.deepcopy(v)
        merge(event, req.json)
        self.event_seq += 1
        event.update(etag=f'"{self.event_seq}"', updated=rfc3339(time.time()))
        return 200, {}, self.public_event(event)

    @route("DELETE", r"^/calendar/v3/calendars/([^/]+)/events/([^/]+)$")
    def delete_event(self, req):
        cal, event, err = self.find_event(req, write=True)
        if err:
            return err
        if event.get("status") == "cancelled":
            return gerror(410, "Resource has been deleted", None, "deleted")
        event["status"] = "cancelled"
        return 204, {}, b""

    # ---- control API -------------------------------------------------------------------------------------
    @route("POST", r"^/_fake/google/settings$")
    def _settings(self, req):
        """{"token_lifetime": seconds, "max_skew": seconds}: applies to tokens issued from now on."""
        body = req.json if isinstance(req.json, dict) else {}
        if "token_lifetime" in body:
            self.token_lifetime = int(body["token_lifetime"])
        if "max_skew" in body:
            self.max_skew = int(body["max_skew"])
        return 200, {}, {"token_lifetime": self.token_lifetime, "max_skew": self.max_skew}

    @route("POST", r"^/_fake/google/expire_tokens$")
    def _expire_tokens(self, req):
        """Every token issued so far now gets 401 (the client must refresh once and retry)."""
        for info in self.tokens.values():
            info["expires"] = 0
        return 200, {}, {"expired": len(self.tokens)}

    @route("GET", r"^/_fake/google/tokens$")
    def _tokens(self, req):
        now = time.time()
        return 200, {}, [{"iss": t["iss"], "scopes": sorted(t["scopes"]), "valid": t["expires"] > now}
                         for t in self.tokens.values()]

    @route("POST", r"^/_fake/sheets$")
    def _create_spreadsheet(self, req):
        """{"spreadsheetId": "...", "sheets": [{"title", "rowCount", "columnCount"}]} (replaces any old one)."""
        body = req.json if isinstance(req.json, dict) else {}
        sid = body.get("spreadsheetId")
        if not isinstance(sid, str) or not sid:
            return 400, {}, {"error": "spreadsheetId is required"}
        self.spreadsheets[sid] = Spreadsheet(sid, body.get("sheets", [{"title": self.args.sheet_name}]))
        return 200, {}, {"ok": True}

    @route("GET", r"^/_fake/sheets/([^/]+)$")
    def _read_spreadsheet(self, req):
        """The grid of every tab: [{"title", "sheetId", "rowCount", "columnCount", "values": [[...]]}]."""
        book = self.spreadsheets.get(unquote(req.match.group(1)))
        if book is None:
            return 404, {}, {"error": "no such spreadsheet"}
        return 200, {}, {"sheets": [dict(book.properties(s)["gridProperties"], title=s["title"],
                                         sheetId=s["sheetId"], values=Spreadsheet.rows(s))
                                    for s in book.sheets]}

    @route("POST", r"^/_fake/calendars$")
    def _create_calendar(self, req):
        """{"id": "...", "busy": [{"start", "end"}]}: a new empty calendar (replaces any old one)."""
        body = req.json if isinstance(req.json, dict) else {}
        cid = body.get("id")
        if not isinstance(cid, str) or not cid:
            return 400, {}, {"error": "id is required"}
        self.calendars[cid] = {"events": {}, "busy": list(body.get("busy", []))}
        return 200, {}, {"ok": True}

    @route("GET", r"^/_fake/calendars/([^/]+)/events$")
    def _calendar_events(self, req):
        """Every event of a calendar (cancelled ones included), insertion order."""
        cal = self.calendars.get(unquote(req.match.group(1)))
        if cal is None:
            return 404, {}, {"error": "no such calendar"}
        return 200, {}, [self.public_event(e) for e in sorted(cal["events"].values(), key=lambda e: e["_seq"])]


def main(argv):
    if argv[:1] == ["keygen"]:
        import argparse
        p = argparse.ArgumentParser(prog="google.py keygen", description="write a throwaway service-account key")
        p.add_argument("path")
        p.add_argument("--email", default="chatbots-sandbox@fake-project.iam.gserviceaccount.com")
        p.add_argument("--token-uri", default="https://oauth2.googleapis.com/token")
        a = p.parse_args(argv[1:])
        generate_service_account(a.path, a.email, a.token_uri)
        return
    run(Google, argv)


if __name__ == "__main__":
    main(sys.argv[1:])
