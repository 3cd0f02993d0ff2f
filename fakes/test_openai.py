#!/usr/bin/env python3
"""Self-test for the OpenAI fake. Run: python3 fakes/test_openai.py (also run by test_fakes.py)."""
import hashlib
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testkit import expect_invalid_json, expect_no_response, expect_timeout, main_for, multipart  # noqa: E402

KEY = "sk-test-abc123"
AUTH = {"Authorization": "Bearer " + KEY}
SCRIPT, NAME = "openai.py", "openai"
ARGS = ["--api-key", KEY, "--chat-reply", "canned"]
MIB25 = 25 * 1024 * 1024
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Ты помощник."},
                                             {"role": "user", "content": "Привет"}], "temperature": 0.2}
OGG = b"OggS" + b"\x00" * 200


def chat(c, body=None, headers=AUTH, **kw):
    return c.call("POST", "/v1/chat/completions", CHAT if body is None else body, headers, **kw)


def transcribe(c, fields=None, filename="voice.ogg", data=OGG, headers=AUTH, **kw):
    fields = {"model": "whisper-1", "language": "ru"} if fields is None else fields
    files = [("file", filename, data, "audio/ogg")] if filename else []
    body, ctype = multipart(fields, files)
    return c.call("POST", "/v1/audio/transcriptions", body, {**headers, "Content-Type": ctype}, **kw)


def t_chat_canned(c):
    r = chat(c)
    assert r.status == 200 and r.headers["content-type"] == "application/json", r
    b = r.json
    assert b["object"] == "chat.completion" and b["id"].startswith("chatcmpl-") and b["model"] == "gpt-4o-mini"
    ch = b["choices"][0]
    assert ch["index"] == 0 and ch["message"] == {"role": "assistant", "content": "canned", "refusal": None,
                                                  "annotations": []} and ch["finish_reason"] == "stop"
    u = b["usage"]
    assert u["prompt_tokens"] > 0 and u["completion_tokens"] > 0 and u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert r.headers["x-request-id"].startswith("req_") and "x-ratelimit-remaining-requests" in r.headers
    done = c.ctl("GET", "completions")
    assert len(done) == 1 and done[0]["request"]["messages"][1]["content"] == "Привет" and done[0]["response"] == b
    assert len(chat(c, {**CHAT, "n": 2}).json["choices"]) == 2
    assert done[0]["deprecated"] == []


def t_chat_deprecated_max_tokens(c):
    assert chat(c, {**CHAT, "max_tokens": 40}).status == 200          # gpt-4o-mini still accepts it ...
    assert c.ctl("GET", "completions")[-1]["deprecated"] == ["max_tokens"]  # ... flagged as deprecated
    r = chat(c, {**CHAT, "model": "o4-mini", "max_tokens": 40})    # o-series models refuse it
    assert r.status == 400 and r.json["error"]["param"] == "max_tokens", r
    assert r.json["error"]["code"] == "unsupported_parameter" and "max_completion_tokens" in r.json["error"]["message"]
    assert chat(c, {**CHAT, "model": "o4-mini", "max_completion_tokens": 40}).status == 200
    assert c.ctl("GET", "completions")[-1]["deprecated"] == []


def t_chat_scripted(c):
    c.ctl("POST", "chat/replies", ["первый", {"content": None, "finish_reason": "length"}])
    c.ctl("POST", "chat/replies", {"content": "third", "prompt_tokens": 7, "completion_tokens": 3})
    assert len(c.ctl("GET", "chat/replies")) == 3
    assert chat(c).json["choices"][0]["message"]["content"] == "первый"
    r = chat(c, {**CHAT, "max_completion_tokens": 50}).json
    assert r["choices"][0]["message"]["content"] is None and r["choices"][0]["finish_reason"] == "length"
    assert r["usage"]["completion_tokens"] == 50
    r = chat(c).json
    assert r["choices"][0]["message"]["content"] == "third" and r["usage"]["total_tokens"] == 10
    assert chat(c).json["choices"][0]["message"]["content"] == "canned"          # queue empty: default
    c.ctl("POST", "chat/default", {"content": "sticky"})
    assert [chat(c).json["choices"][0]["message"]["content"] for _ in range(2)] == ["sticky", "sticky"]
    assert c.call("POST", "/_fake/chat/replies", {"finish_reason": "bogus"}).status == 400


def t_chat_auth_and_validation(c):
    r = chat(c, headers={})
    assert r.status == 401 and "didn't provide an API key" in r.json["error"]["message"], r
    r = chat(c, headers={"Authorization": "Bearer sk-wrong"})
    assert r.status == 401 and r.json["error"]["code"] == "invalid_api_key"
    cases = [({k: v for k, v in CHAT.items() if k != "model"}, "model"),
             ({k: v for k, v in CHAT.items() if k != "messages"}, "messages"),
             ({**CHAT, "messages": []}, "messages"),
             ({**CHAT, "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
             ({**CHAT, "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
             ({**CHAT, "temperature": 3}, "temperature"), ({**CHAT, "max_tokens": 0}, "max_tokens"),
             ({**CHAT, "n": 0}, "n")]
    for body, param in cases:
        r = chat(c, body)
        assert r.status == 400 and r.json["error"]["param"] == param and r.json["error"]["type"] == "invalid_request_error", (body, r)
    r = c.call("POST", "/v1/chat/completions", b"{oops", {**AUTH, "Content-Type": "application/json"})
    assert r.status == 400 and "parse the JSON body" in r.json["error"]["message"]
    assert c.ctl("GET", "completions") == []


def t_transcription(c):
    r = transcribe(c)
    assert r.status == 200 and r.json == {"text": "Это тестовая расшифровка голосового сообщения."}, r
    c.ctl("POST", "transcriptions/texts", ["раз", "два"])
    assert transcribe(c).json["text"] == "раз"
    r = transcribe(c, {"model": "whisper-1", "response_format": "text"}, filename="v.mp3")
    assert r.status == 200 and r.raw == "два\n".encode() and r.headers["content-type"].startswith("text/plain")
    r = transcribe(c, {"model": "gpt-4o-mini-transcribe"}, filename="v.webm")
    assert "usage" in r.json and r.json["text"]
    assert transcribe(c, {"model": "whisper-1", "response_format": "verbose_json"}).json["segments"]
    assert transcribe(c, {"model": "whisper-1", "response_format": "srt"}).raw.startswith(b"1\n00:00:00,000")
    assert transcribe(c, {"model": "whisper-1", "response_format": "vtt"}).raw.startswith(b"WEBVTT")
    done = c.ctl("GET", "transcriptions")
    assert len(done) == 7 and done[0]["filename"] == "voice.ogg" and done[0]["size"] == len(OGG)
    assert done[0]["sha256"] == hashlib.sha256(OGG).hexdigest() and done[0]["language"] == "ru"
    assert done[2]["response_format"] == "text" and done[2]["text"] == "два"


def t_transcription_validation(c):
    cases = [(dict(fields={"language": "ru"}), "model", 400), (dict(filename=None), "file", 400),
             (dict(filename="voice.oga"), "file", 400), (dict(filename="voice"), "file", 400),
             (dict(filename="voice.txt"), "file", 400), (dict(data=b""), "file", 400),
             (dict(data=b"x" * (MIB25 + 1)), "file", 400),
             (dict(fields={"model": "whisper-1", "response_format": "docx"}), "response_format", 400),
             (dict(fields={"model": "gpt-4o-transcribe", "response_format": "srt"}), "response_format", 400),
             (dict(fields={"model": "whisper-1", "language": "Russian"}), "language", 400),
             (dict(fields={"model": "whisper-1", "temperature": "5"}), "temperature", 400)]
    for kw, param, status in cases:
        r = transcribe(c, **kw)
        assert r.status == status and r.json["error"]["param"] == param, (kw, r)
    r = transcribe(c, data=b"x" * (MIB25 + 1))
    assert "Maximum content size limit (26214400)" in r.json["error"]["message"]
    assert "Supported formats" in transcribe(c, filename="voice.oga").json["error"]["message"]
    r = c.call("POST", "/v1/audio/transcriptions", {"model": "whisper-1"}, AUTH)
    assert r.status == 400 and "multipart/form-data" in r.json["error"]["message"]
    assert transcribe(c, headers={}).status == 401
    assert transcribe(c, filename="VOICE.OGG").status == 200
    assert len(c.ctl("GET", "transcriptions")) == 1


def t_transcription_25mib_boundary(c):
    assert transcribe(c, data=b"x" * MIB25, timeout=30).status == 200
    assert transcribe(c, data=b"x" * (MIB25 + 1), timeout=30).status == 400


def t_fault_rate_limit(c):
    c.fault(route="/v1/chat/completions", mode="rate_limit", seconds=2, ms=1500)
    r = chat(c)
    assert r.status == 429 and r.headers["retry-after"] == "2" and r.headers["retry-after-ms"] == "1500", r
    assert r.json["error"]["code"] == "rate_limit_exceeded" and r.json["error"]["type"] == "requests"
    c.fault(route="/v1/chat/completions", mode="retry_after", seconds=3)
    r = chat(c)
    assert r.status == 429 and r.headers["retry-after"] == "3" and r.json["error"]["code"] == "rate_limit_exceeded"
    c.fault(route="/v1/chat/completions", mode="rate_limit", times=2)
    assert [chat(c).status for _ in range(3)] == [429, 429, 200]
    assert len(c.ctl("GET", "completions")) == 1


def t_fault_quota_and_auth(c):
    c.fault(route="*", mode="insufficient_quota")
    r = chat(c)
    assert r.status == 429 and r.json["error"]["type"] == "insufficient_quota" and "retry-after" not in r.headers
    c.fault(route="*", mode="unauthorized")
    assert chat(c).json["error"]["code"] == "invalid_api_key"
    c.fault(route="*", mode="bad_request", param="messages[0].content", message="Invalid content.")
    r = transcribe(c)
    assert r.status == 400 and r.json["error"]["param"] == "messages[0].content"
    assert c.ctl("GET", "completions") == [] and c.ctl("GET", "transcriptions") == []


def t_fault_server_errors(c):
    c.fault(route="*", mode="server_error", should_retry=False)
    r = chat(c)
    assert r.status == 500 and r.headers["x-should-retry"] == "false" and r.json["error"]["type"] == "server_error", r
    c.fault(route="*", mode="server_error", status=503, should_retry=True)
    r = chat(c)
    assert r.status == 503 and r.headers["x-should-retry"] == "true" and "overloaded" in r.json["error"]["message"]
    c.fault(route="*", mode="status", status=500)
    r = chat(c)
    assert r.status == 500 and "x-should-retry" not in r.headers and r.json["error"]["type"] == "server_error"
    c.fault(route="*", mode="status", status=401)
    assert chat(c).json["error"]["code"] == "invalid_api_key"


def t_fault_slow_and_truncated(c):
    c.fault(route="/v1/chat/completions", mode="delay", seconds=0.8)
    expect_timeout(lambda: chat(c, timeout=0.2))
    time.sleep(0.8)
    assert len(c.ctl("GET", "completions")) == 1
    c.fault(route="/v1/chat/completions", mode="truncated", apply=True)
    r = chat(c)
    assert r.status == 200 and r.raw.startswith(b'{"id": "chatcmpl-')
    expect_invalid_json(r)
    c.fault(route="/v1/audio/transcriptions", mode="truncated")
    expect_invalid_json(transcribe(c))
    c.fault(route="/v1/audio/transcriptions", mode="cut_body")
    expect_no_response(lambda: transcribe(c))
    c.fault(route="/v1/chat/completions", mode="hang_then_drop", seconds=0.3)
    expect_no_response(lambda: chat(c))


if __name__ == "__main__":
    main_for(SCRIPT, ARGS, globals(), NAME)
