"""testkit - helpers shared by the fake self-tests (test_fakes.py and test_<fake>.py).

Starts a fake as a subprocess on a free port and talks real HTTP to it.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


class Resp:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw

    @property
    def json(self):
        return json.loads(self.raw)

    def __repr__(self):
        return f"<Resp {self.status} {self.raw[:300]!r}>"


class Client:
    def __init__(self, port):
        self.port, self.base = port, f"http://127.0.0.1:{port}"

    def call(self, method, path, body=None, headers=None, timeout=5.0):
        """body: dict/list -> JSON, str/bytes -> raw; returns Resp for any HTTP status."""
        hdrs = {}
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        else:
            data = body.encode() if isinstance(body, str) else body
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Resp(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())

    def ctl(self, method, path, body=None):
        """Control API call; asserts 2xx and returns the decoded JSON."""
        r = self.call(method, "/_fake/" + path.lstrip("/"), body)
        assert 200 <= r.status < 300, (path, r)
        return r.json

    def fault(self, **spec):
        self.ctl("POST", "faults", spec)

    def calls(self, query=""):
        return self.ctl("GET", "calls" + query)

    def raw_conn(self, timeout=5.0):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def multipart(fields, files=()):
    """fields: {name: value}; files: [(name, filename, bytes, content_type)] -> (body, content_type)."""
    boundary = "----fakeboundary" + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n".encode(),
                str(v).encode(), b"\r\n"]
    for name, filename, data, ctype in files:
        out += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n".encode(), data, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def expect_no_response(fn):
    """fn() must fail because the server closed the connection without a (complete) answer."""
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


def expect_timeout(fn):
    try:
        r = fn()
    except (TimeoutError, urllib.error.URLError) as e:
        reason = getattr(e, "reason", e)
        assert isinstance(reason, TimeoutError) or "timed out" in str(reason), repr(e)
        return
    raise AssertionError(f"expected a client timeout, got HTTP {r.status}")


def expect_invalid_json(r):
    try:
        r.json
    except ValueError:
        return
    raise AssertionError(f"body parsed as JSON: {r.raw[:200]!r}")


def start(script, args, port_file):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, script), "--port", "0",
                             "--port-file", port_file, *args])
    deadline = time.monotonic() + 10
    while not os.path.exists(port_file):
        assert proc.poll() is None and time.monotonic() < deadline, f"{script} did not start"
        time.sleep(0.02)
    return proc, int(open(port_file).read())


def run_suite(script, args, tests, name):
    """Start SCRIPT, run each test(client) after POST /_fake/reset, then check SIGTERM.

    Returns (passed, failed)."""
    tmp = tempfile.mkdtemp(prefix="fakes-test-")
    port_file = os.path.join(tmp, "var", f"{name}.port")
    passed = failed = 0
    proc, port = start(script, args, port_file)
    client = Client(port)
    try:
        health = client.ctl("GET", "health")
        assert health["name"] == name, health
        for t in tests:
            client.ctl("POST", "reset")
            try:
                t(client)
                passed += 1
                print(f"ok   {name}.{t.__name__}")
            except Exception:
                failed += 1
                print(f"FAIL {name}.{t.__name__}\n{traceback.format_exc()}")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=5)
            assert rc == 0 and not os.path.exists(port_file), (rc, os.path.exists(port_file))
            passed += 1
            print(f"ok   {name}.t_sigterm")
        except Exception:
            failed += 1
            print(f"FAIL {name}.t_sigterm\n{traceback.format_exc()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return passed, failed


def tests_of(namespace):
    return [v for k, v in list(namespace.items()) if k.startswith("t_") and callable(v)]


def run_modules(modules):
    """Run each suite module (SCRIPT, ARGS, NAME and its t_* tests) on its own fake.

    Returns the summed (passed, failed), so one runner can report several suites as one."""
    passed = failed = 0
    for m in modules:
        p, f = run_suite(m.SCRIPT, m.ARGS, tests_of(vars(m)), m.NAME)
        passed, failed = passed + p, failed + f
    return passed, failed


def finish(passed, failed, label=""):
    """Print the summary line `make test` greps for ("N passed, M failed") and exit non-zero on any failure.

    label tells apart summaries that end up in the same log."""
    print(f"{label}{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def main_for(script, args, namespace, name, label=""):
    """`python3 fakes/test_<name>.py` entry point."""
    finish(*run_suite(script, args, tests_of(namespace), name), label)
