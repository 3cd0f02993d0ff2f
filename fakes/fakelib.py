"""fakelib - a tiny framework for local fake HTTP APIs used by integration tests.

Standard library only (Python 3.11). A fake is a FakeApp subclass whose methods are
registered with @route; run(MyApp) parses --port/--port-file/--verbose and serves on
127.0.0.1. Every non-control request is recorded, and scripted faults can be queued
through the /_fake/ control API. See README.md.
"""
import argparse
import base64
import json
import os
import random
import re
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DROP = object()  # result meaning: close the connection without sending a response
CONTROL_PREFIX = "/_fake/"
HTML_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n")


def route(method, pattern):
    """Register a FakeApp method for METHOD + path regex (matched against the path only).

    METHOD may list several methods separated by commas ("GET,POST").
    The method is called as handler(self, req) under the app lock and returns
    (status, headers_dict, body) where body is a dict/list (sent as JSON), str or bytes.
    req.match holds the regex match object.
    """
    def deco(fn):
        fn._route = (tuple(m.strip() for m in method.upper().split(",")), re.compile(pattern))
        return fn
    return deco


class Request:
    def __init__(self, method, target, headers, raw):
        url = urlsplit(target)
        self.method, self.path, self.raw = method, url.path, raw
        self.query = dict(parse_qsl(url.query, keep_blank_values=True))  # last value wins
        self.headers = dict(headers.items())
        self._lower = {k.lower(): v for k, v in self.headers.items()}
        self.body = raw.decode("utf-8", "replace")
        self.match = None
        self.applied = None  # normal handler's response when a fault ran it first
        try:
            self.json, self.is_json = json.loads(self.body), True
        except ValueError:
            self.json, self.is_json = None, False
        self._multipart = None

    def header(self, name, default=None):
        """Case-insensitive header lookup."""
        return self._lower.get(name.lower(), default)

    @property
    def content_type(self):
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def form(self):
        """application/x-www-form-urlencoded body as a dict (last value wins); {} otherwise."""
        if self.content_type != "application/x-www-form-urlencoded":
            return {}
        return dict(parse_qsl(self.body, keep_blank_values=True))

    @property
    def multipart(self):
        """multipart/form-data parts as a list of Part (None when the body is not multipart)."""
        if self._multipart is None and self.content_type == "multipart/form-data":
            self._multipart = parse_multipart(self.header("Content-Type"), self.raw)
        return self._multipart


class Part:
    def __init__(self, name, filename, content_type, data):
        self.name, self.filename, self.content_type, self.data = name, filename, content_type, data

    @property
    def text(self):
        return self.data.decode("utf-8", "replace")


def _header_params(value):
    """'form-data; name="a"; filename="b.ogg"' -> ('form-data', {'name': 'a', 'filename': 'b.ogg'})"""
    head, _, rest = value.partition(";")
    params = {}
    for m in re.finditer(r'\s*([^=;\s]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)\s*;?', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2).strip()
    return head.strip().lower(), params


def parse_multipart(content_type, raw):
    """Parse a multipart/form-data body; returns a list of Part, or None if it is malformed."""
    _, params = _header_params(content_type or "")
    boundary = params.get("boundary")
    if not boundary:
        return None
    delim = b"--" + boundary.encode()
    chunks = raw.split(delim)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        return None  # no closing delimiter: truncated or not multipart at all
    parts = []
    for chunk in chunks[1:-1]:
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        disp, dparams = _header_params(headers.get("content-disposition", ""))
        if disp != "form-data" or "name" not in dparams:
            return None
        parts.append(Part(dparams["name"], dparams.get("filename"), headers.get("content-type"), data))
    return parts


def encode_body(headers, body):
    """(headers, body) -> (headers with Content-Type set when implied, bytes)."""
    headers = dict(headers or {})
    if isinstance(body, (bytes, bytearray)):
        return headers, bytes(body)
    if isinstance(body, str):
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return headers, body.encode()
    headers.setdefault("Content-Type", "application/json")
    return headers, json.dumps(body, ensure_ascii=False).encode()


def basic_auth(req):
    """(user, password) from an Authorization: Basic header, or None."""
    value = req.header("Authorization") or ""
    if not value[:6].lower() == "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(value[6:].strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def bearer(req):
    """The token of an Authorization: Bearer header, or None."""
    value = req.header("Authorization") or ""
    return value[7:].strip() if value[:7].lower() == "bearer " else None


class FakeApp:
    """Base class for fakes: routing, call recording, fault queue, control API."""
    name = "fake"
    # modes that run the normal handler themselves (so "apply": true is not applied twice)
    SELF_APPLYING = ("delay", "delay_after_apply", "drop_after_apply", "cut_body", "content_type")

    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.calls, self.faults, self.seq = [], [], 0
        self.clock_offset = 0.0  # POST /_fake/clock {"advance": s} moves now() forward
        found = {}
        for cls in reversed(type(self).__mro__):
            for attr, fn in vars(cls).items():
                if hasattr(fn, "_route"):
                    found[attr] = fn
        self.routes = [fn._route + (getattr(self, attr),) for attr, fn in found.items()]
        self.reset_state()

    # ---- hooks for subclasses -------------------------------------------------
    @classmethod
    def add_arguments(cls, parser):
        """Add provider-specific command-line options."""

    def reset_state(self):
        """(Re)initialise provider state; called at start and on POST /_fake/reset."""

    def rate_limit_body(self):
        return {"error": "rate limited"}

    def retry_after_body(self, f, seconds):
        """Body of the `retry_after` fault (seconds as sent in Retry-After)."""
        return self.rate_limit_body()

    def error_body(self, status):
        """Default body of the `status` fault when the spec gives none."""
        return b""

    def response_headers(self, req, status):
        """Extra headers added (unless already set) to every non-control response, faults included."""
        return {}

    def now(self):
        """Wall-clock time as the fake sees it (real time + the control API's clock offset)."""
        return time.time() + self.clock_offset

    def sample_body(self):
        """Body cut in half by the `truncated` fault when the request is not applied."""
        return {"status": "success", "data": {"id": 1, "text": "this response was cut off"}}

    # ---- core -------------------------------------------------------------------
    def dispatch(self, req):
        """Run the normal handler for req (the 'apply' step)."""
        allowed = False
        for method, rx, fn in self.routes:
            m = rx.search(req.path)
            if m and req.method in method:
                req.match = m
                with self.lock:
                    return fn(req)
            allowed = allowed or bool(m)
        if allowed:
            return 405, {}, {"error": "method not allowed", "method": req.method, "path": req.path}
        return 404, {}, {"error": "not found", "path": req.path}

    def record(self, req):
        with self.lock:
            self.seq += 1
            rec = {"seq": self.seq, "t_mono": time.monotonic(), "t_wall": time.time(),
                   "method": req.method, "path": req.path, "query": req.query,
                   "headers": req.headers, "body": req.body,
                   "json": req.json if req.is_json else None, "is_json": req.is_json,
                   "fault": None, "status": None}
            self.calls.append(rec)
            return rec

    def take_fault(self, req):
        """Pop (one use of) the first queued fault matching req's method and path."""
        with self.lock:
            for f in self.faults:
                r = f["route"]
                if (r in ("*", req.path) or (r.startswith("^") and re.search(r, req.path))) \
                        and f.get("method") in (None, req.method):
                    if f.get("skip", 0) > 0:  # let this many matching requests through first
                        f["skip"] -= 1
                        return None
                    if random.random() >= f.get("probability", 1):  # a random share of matching requests
                        return None
                    f["remaining"] -= 1
                    if f["remaining"] <= 0:
                        self.faults.remove(f)
                    return dict(f)
        return None

    # ---- built-in fault modes: fault_<mode>(f, req) -> response tuple or DROP ---------
    def fault_status(self, f, req):
        status = int(f.get("status", 500))
        return status, f.get("headers", {}), f.get("body", self.error_body(status))

    def fault_retry_after(self, f, req):
        s = f.get("seconds", 1)
        s = str(int(s)) if isinstance(s, (int, float)) and float(s).is_integer() else str(s)
        return (int(f.get("status", 429)), {"Retry-After": s, **f.get("headers", {})},
                f.get("body", self.retry_after_body(f, s)))

    def fault_delay(self, f, req):
        time.sleep(float(f.get("seconds", 1)))
        return self.dispatch(req)

    def fault_delay_after_apply(self, f, req):
        """Apply at once, then sleep before answering (the state changed while the client waits)."""
        result = self.dispatch(req)
        time.sleep(float(f.get("seconds", 1)))
        return result

    def fault_hang_then_drop(self, f, req):
        time.sleep(float(f.get("seconds", 30)))
        return DROP

    def fault_drop(self, f, req):
        return DROP

    def fault_drop_after_apply(self, f, req):
        self.dispatch(req)
        time.sleep(float(f.get("seconds", 0)))  # optional: hang before dropping
        return DROP

    def fault_cut_body(self, f, req):
        """Apply, send the status, headers and full Content-Length, then only part of the body."""
        status, headers, body = self.dispatch(req)
        headers, data = encode_body(headers, body)
        headers["Content-Length"] = str(len(data))
        keep = int(f.get("bytes", len(data) // 2))
        return status, headers, data[:max(0, min(keep, len(data) - 1))]

    def fault_content_type(self, f, req):
        """Apply and send the real body under a wrong Content-Type (default text/html)."""
        status, headers, body = self.dispatch(req)
        headers, data = encode_body(headers, body)
        headers["Content-Type"] = f.get("content_type", "text/html; charset=utf-8")
        return status, headers, data

    def fault_html(self, f, req):
        return int(f.get("status", 502)), {"Content-Type": "text/html"}, f.get("body", HTML_502)

    def fault_truncated(self, f, req):
        full = f.get("body", req.applied[2] if req.applied else self.sample_body())
        data = full.encode() if isinstance(full, str) else \
            full if isinstance(full, bytes) else json.dumps(full).encode()
        headers = {"Content-Type": "application/json"}
        if f.get("short_read"):  # announce the full length, send half, close
            headers["Content-Length"] = str(len(data))
        return int(f.get("status", 200)), headers, data[:max(1, len(data) // 2)]

    def fault_empty(self, f, req):
        return int(f.get("status", 200)), {"Content-Type": "application/json"}, b""

    def available_modes(self):
        return sorted(a[6:] for a in dir(self) if a.startswith("fault_"))

    # ---- control API ------------------------------------------------------------
    @route("GET", r"^/_fake/health$")
    def _health(self, req):
        return 200, {}, {"ok": True, "name": self.name, "calls": len(self.calls),
                         "faults": len(self.faults), "pid": os.getpid()}

    @route("GET", r"^/_fake/calls$")
    def _list_calls(self, req):
        q = req.query
        try:
            since = int(q.get("since", 0))
        except ValueError:
            return 400, {}, {"error": "since must be an integer"}
        return 200, {}, [dict(c) for c in self.calls if c["seq"] > since
                         and c["path"] == q.get("path", c["path"])
                         and c["method"] == q.get("method", c["method"]).upper()]

    @route("DELETE", r"^/_fake/calls$")
    def _clear_calls(self, req):
        self.calls.clear()  # seq keeps counting so ?since= stays meaningful
        return 200, {}, {"ok": True, "seq": self.seq}

    @route("GET", r"^/_fake/faults$")
    def _list_faults(self, req):
        return 200, {}, [dict(f) for f in self.faults]

    @route("POST", r"^/_fake/faults$")
    def _add_faults(self, req):
        specs = req.json if isinstance(req.json, list) else [req.json]
        new = []
        for f in specs:
            if not isinstance(f, dict) or not isinstance(f.get("route"), str):
                return 400, {}, {"error": "fault must be a JSON object with a string 'route'"}
            if f.get("mode") not in self.available_modes():
                return 400, {}, {"error": f"unknown mode {f.get('mode')!r}", "modes": self.available_modes()}
            times = f.get("times", 1)
            if not isinstance(times, int) or isinstance(times, bool) or times < 1:
                return 400, {}, {"error": "times must be a positive integer"}
            skip = f.get("skip", 0)
            if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
                return 400, {}, {"error": "skip must be a non-negative integer"}
            probability = f.get("probability", 1)
            if not isinstance(probability, (int, float)) or isinstance(probability, bool) or not 0 < probability <= 1:
                return 400, {}, {"error": "probability must be a number in (0, 1]"}
            method = f.get("method")
            new.append({**f, "method": method.upper() if method else None,
                        "times": times, "remaining": times})
        self.faults.extend(new)
        return 200, {}, {"ok": True, "faults": [dict(f) for f in self.faults]}

    @route("DELETE", r"^/_fake/faults$")
    def _clear_faults(self, req):
        self.faults.clear()
        return 200, {}, {"ok": True}

    @route("POST", r"^/_fake/reset$")
    def _reset(self, req):
        self.calls.clear()
        self.faults.clear()
        self.clock_offset = 0.0
        self.reset_state()
        return 200, {}, {"ok": True}

    @route("GET", r"^/_fake/clock$")
    def _get_clock(self, req):
        return 200, {}, {"now": self.now(), "offset": self.clock_offset}

    @route("POST", r"^/_fake/clock$")
    def _set_clock(self, req):
        """{"advance": seconds} moves the fake's clock forward (token/key expiry, daily limits)."""
        body = req.json if isinstance(req.json, dict) else {}
        adv = body.get("advance")
        if not isinstance(adv, (int, float)) or isinstance(adv, bool) or adv < 0:
            return 400, {}, {"error": "advance must be a non-negative number of seconds"}
        self.clock_offset += adv
        return 200, {}, {"now": self.now(), "offset": self.clock_offset}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake"
    app = None
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write(f"[{self.app.name}] {self.address_string()} {fmt % args}\n")

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self):
        app = self.app
        req = Request(self.command, self.path, self.headers, self._read_body())
        rec = None if req.path.startswith(CONTROL_PREFIX) else app.record(req)
        try:
            f = app.take_fault(req) if rec else None
            if f:
                with app.lock:
                    rec["fault"] = f["mode"]
                if f.get("apply") and f["mode"] not in app.SELF_APPLYING:
                    req.applied = app.dispatch(req)  # state changes, response replaced
                result = getattr(app, "fault_" + f["mode"])(f, req)
            else:
                result = app.dispatch(req)
        except Exception as e:  # a bug in the fake: make it loud
            traceback.print_exc()
            result = 500, {}, {"error": "fake internal error", "detail": repr(e)}
        if result is DROP:
            self.log_message('"%s" dropped (%s)', self.requestline, rec and rec["fault"])
            self.close_connection = True
            return
        status, headers, body = result
        if rec:
            with app.lock:
                rec["status"] = status
                extra = app.response_headers(req, status)
            headers = dict(headers or {})
            have = {k.lower() for k in headers}
            headers.update({k: v for k, v in extra.items() if k.lower() not in have})
        self._send(status, headers, body)

    def _send(self, status, headers, body):
        headers, data = encode_body(headers, body)
        headers.setdefault("Content-Length", str(len(data)))
        if headers["Content-Length"] != str(len(data)):
            self.close_connection = True  # deliberate short read
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # a client that gave up (timeout, reset) is expected in fault tests: stay quiet
        if self.RequestHandlerClass.verbose or not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def run(app_cls, argv=None):
    p = argparse.ArgumentParser(description=(app_cls.__doc__ or "").strip())
    p.add_argument("--port", type=int, default=0, help="port to bind (0 = pick a free one)")
    p.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    app_cls.add_arguments(p)
    args = p.parse_args(argv)
    app = app_cls(args)
    handler = type(app_cls.__name__ + "Handler", (Handler,), {"app": app, "verbose": args.verbose})
    srv = Server(("127.0.0.1", args.port), handler)
    port = srv.server_address[1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.port_file:
        os.makedirs(os.path.dirname(os.path.abspath(args.port_file)), exist_ok=True)
        tmp = f"{args.port_file}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    if args.verbose:
        sys.stderr.write(f"[{app.name}] listening on http://127.0.0.1:{port}\n")
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        if args.port_file:
            try:
                os.remove(args.port_file)
            except OSError:
                pass
