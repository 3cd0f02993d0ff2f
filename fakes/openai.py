#!/usr/bin/env python3
"""Fake OpenAI API (api.openai.com/v1): chat completions and audio transcriptions, for integration tests.

Run: python3 fakes/openai.py --port 0 --port-file var/openai.port --api-key sk-sandbox
"""
import hashlib
import os
import re
import secrets
import sys

sys.dont_write_bytecode = True  # keep fakes/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeApp, bearer, route, run  # noqa: E402

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
FINISH = ("stop", "length", "tool_calls", "content_filter", "function_call")
FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
# Chat parameters the spec marks `deprecated: true`; a request using one is flagged in /_fake/completions.
DEPRECATED_CHAT_PARAMS = ("max_tokens", "functions", "function_call")
# o-series (reasoning) models: the spec says `max_tokens` "is not compatible" with them.
REASONING_MODEL = re.compile(r"^o[0-9]")
DEFAULT_AUDIO = "flac,m4a,mp3,mp4,mpeg,mpga,ogg,wav,webm"
SERVER_MESSAGES = {500: "The server had an error while processing your request. Sorry about that!",
                   502: "Bad gateway.", 503: "The engine is currently overloaded, please try again later.",
                   504: "Gateway timeout."}


def oai_error(status, message, etype="invalid_request_error", param=None, code=None, headers=None):
    return status, headers or {}, {"error": {"message": message, "type": etype, "param": param, "code": code}}


def tokens(text):
    return max(1, len(text or "") // 4) if text else 0


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class OpenAI(FakeApp):
    """Fake OpenAI API: POST /v1/chat/completions and POST /v1/audio/transcriptions."""
    name = "openai"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--api-key", required=True, help="expected key (Authorization: Bearer ...)")
        parser.add_argument("--chat-reply", default="This is a canned reply from the fake OpenAI server.",
                            help="content returned when no scripted reply is queued")
        parser.add_argument("--transcription-text", default="Это тестовая расшифровка голосового сообщения.",
                            help="text returned when no scripted transcription is queued")
        parser.add_argument("--max-audio-bytes", type=int, default=25 * 1024 * 1024)
        parser.add_argument("--audio-formats", default=DEFAULT_AUDIO,
                            help=f"accepted file extensions (default {DEFAULT_AUDIO})")

    def reset_state(self):
        self.chat_queue, self.chat_default = [], {"content": self.args.chat_reply, "finish_reason": "stop"}
        self.text_queue, self.text_default = [], self.args.transcription_text
        self.completions, self.transcriptions = [], []
        self.formats = [x.strip().lower() for x in self.args.audio_formats.split(",") if x.strip()]

    # ---- bodies and headers ----------------------------------------------------------------
    def rate_limit_body(self):
        return {"error": {"message": "Rate limit reached for gpt-4o-mini in organization org-fake on requests per "
                                     "min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
                          "type": "requests", "param": None, "code": "rate_limit_exceeded"}}

    def error_body(self, status):
        if status == 429:
            return self.rate_limit_body()
        if status == 401:
            return self.bad_key_body()
        if status >= 500:
            return {"error": {"message": SERVER_MESSAGES.get(status, "Server error."), "type": "server_error",
                              "param": None, "code": None}}
        return {"error": {"message": "Fake error.", "type": "invalid_request_error", "param": None, "code": None}}

    def bad_key_body(self):
        return {"error": {"message": "Incorrect API key provided: sk-***. You can find your API key at "
                                     "https://platform.openai.com/account/api-keys.",
                          "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}

    def sample_body(self):
        return {"id": "chatcmpl-cut", "object": "chat.completion", "choices": [{"index": 0, "message": {
            "role": "assistant", "content": "this response was cut off"}, "finish_reason": "stop"}]}

    def response_headers(self, req, status):
        return {"x-request-id": "req_" + secrets.token_hex(16), "openai-version": "2020-10-01",
                "openai-processing-ms": "12", "x-ratelimit-limit-requests": "10000",
                "x-ratelimit-remaining-requests": "9999", "x-ratelimit-reset-requests": "6ms",
                "x-ratelimit-limit-tokens": "200000", "x-ratelimit-remaining-tokens": "199000",
                "x-ratelimit-reset-tokens": "300ms"}

    # provider-specific fault modes
    def fault_rate_limit(self, f, req):
        """429 rate_limit_exceeded with retry-after (s) and retry-after-ms (params seconds, ms)."""
        s = f.get("seconds", 1)
        ms = f.get("ms", int(float(s) * 1000))
        return 429, {"retry-after": str(s), "retry-after-ms": str(ms)}, self.rate_limit_body()

    def fault_insufficient_quota(self, f, req):
        return oai_error(429, "You exceeded your current quota, please check your plan and billing details. For "
                              "more information on this error, read the docs: "
                              "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                         "insufficient_quota", None, "insufficient_quota")

    def fault_unauthorized(self, f, req):
        return 401, {}, self.bad_key_body()

    def fault_bad_request(self, f, req):
        return oai_error(400, f.get("message", "Invalid parameter."), "invalid_request_error",
                         f.get("param", "messages"), f.get("code"))

    def fault_server_error(self, f, req):
        """5xx (status, default 500) with the OpenAI error body; should_retry: true|false -> x-should-retry."""
        status = int(f.get("status", 500))
        headers = {}
        if "should_retry" in f:
            headers["x-should-retry"] = "true" if f["should_retry"] else "false"
        return status, headers, self.error_body(status)

    # ---- helpers -------------------------------------------------------------------------------
    def authorize(self, req):
        if not req.header("Authorization"):
            return oai_error(401, "You didn't provide an API key. You need to provide your API key in an "
                                  "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
                                  "or as the password field (with blank username) if you're accessing the API "
                                  "from your browser and are prompted for a username and password. You can "
                                  "obtain an API key from https://platform.openai.com/account/api-keys.")
        if bearer(req) != self.args.api_key:
            return 401, {}, self.bad_key_body()
        return None

    def validate_chat(self, b):
        if not isinstance(b, dict):
            return oai_error(400, "We could not parse the JSON body of your request. (HINT: This likely means "
                                  "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                                  "payload, but what was sent was not valid JSON.)")
        if not isinstance(b.get("model"), str) or not b["model"]:
            return oai_error(400, "you must provide a model parameter", param="model")
        msgs = b.get("messages")
        if msgs is None:
            return oai_error(400, "Missing required parameter: 'messages'.", param="messages",
                             code="missing_required_parameter")
        if not isinstance(msgs, list) or not msgs:
            return oai_error(400, "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                                  "but got an empty array instead.", param="messages", code="empty_array")
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                return oai_error(400, f"Invalid value: '{m.get('role') if isinstance(m, dict) else m}'. Supported "
                                      f"values are: {', '.join(repr(r) for r in ROLES[:5])}.",
                                 param=f"messages[{i}].role", code="invalid_value")
            c = m.get("content")
            if not (isinstance(c, (str, list)) or (c is None and m["role"] == "assistant")):
                return oai_error(400, f"Invalid type for 'messages[{i}].content': expected one of a string or "
                                      "array of objects.", param=f"messages[{i}].content", code="invalid_type")
        t = b.get("temperature")
        if t is not None and (not is_num(t) or not 0 <= t <= 2):
            return oai_error(400, f"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, "
                                  f"but got {t} instead.", param="temperature", code="decimal_above_max_value")
        for k in ("max_tokens", "max_completion_tokens"):
            v = b.get(k)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                return oai_error(400, f"Invalid '{k}': integer below minimum value. Expected a value >= 1, but "
                                      f"got {v} instead.", param=k, code="integer_below_min_value")
        if b.get("max_tokens") is not None and REASONING_MODEL.match(b["model"]):
            return oai_error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                                  "'max_completion_tokens' instead.", param="max_tokens", code="unsupported_parameter")
        n = b.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
            return oai_error(400, f"Invalid 'n': expected an integer between 1 and 128, got {n}.", param="n")
        return None

    # ---- chat -------------------------------------------------------------------------------------
    @route("POST", r"^/v1/chat/completions$")
    def chat(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        b = req.json if req.is_json else None
        invalid = self.validate_chat(b)
        if invalid:
            return invalid
        reply = dict(self.chat_queue.pop(0) if self.chat_queue else self.chat_default)
        content, finish = reply.get("content"), reply.get("finish_reason", "stop")
        prompt = sum(4 + tokens(m["content"] if isinstance(m.get("content"), str) else "x" * 40)
                     for m in b["messages"])
        cap = b.get("max_completion_tokens") or b.get("max_tokens")
        completion = reply.get("completion_tokens",
                               cap if finish == "length" and cap else tokens(content) or (cap or 16))
        prompt = reply.get("prompt_tokens", prompt)
        message = {"role": "assistant", "content": content, "refusal": reply.get("refusal"), "annotations": []}
        if reply.get("tool_calls"):
            message["tool_calls"] = reply["tool_calls"]
        body = {"id": "chatcmpl-" + secrets.token_urlsafe(22).replace("-", "x").replace("_", "y"),
                "object": "chat.completion", "created": int(self.now()), "model": b["model"],
                "choices": [{"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish}
                            for i in range(b.get("n", 1))],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion,
                          "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                          "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                        "accepted_prediction_tokens": 0,
                                                        "rejected_prediction_tokens": 0}},
                "service_tier": "default", "system_fingerprint": "fp_fake0000"}
        self.completions.append({"request": b, "response": body, "t": self.now(),
                                 "deprecated": [k for k in DEPRECATED_CHAT_PARAMS if b.get(k) is not None]})
        return 200, {}, body

    # ---- transcription --------------------------------------------------------------------------
    @route("POST", r"^/v1/audio/transcriptions$")
    def transcribe(self, req):
        denied = self.authorize(req)
        if denied:
            return denied
        if req.content_type != "multipart/form-data":
            return oai_error(400, f"Invalid Content-Type header ({req.content_type or 'none'}), expected "
                                  "multipart/form-data. (HINT: If you're using curl, you can pass -H "
                                  "'Content-Type: multipart/form-data')")
        parts = req.multipart
        if parts is None:
            return oai_error(400, "Could not parse multipart form")
        fields = {p.name: p.text for p in parts if p.filename is None}
        files = [p for p in parts if p.name == "file" and p.filename is not None]
        if not files:
            return oai_error(400, "Missing required parameter: 'file'.", param="file",
                             code="missing_required_parameter")
        if not fields.get("model"):
            return oai_error(400, "you must provide a model parameter", param="model")
        f = files[0]
        if len(f.data) > self.args.max_audio_bytes:
            return oai_error(400, f"Maximum content size limit ({self.args.max_audio_bytes}) exceeded "
                                  f"({len(f.data)} bytes read)", param="file")
        ext = f.filename.rsplit(".", 1)[1].lower() if "." in f.filename else ""
        if ext not in self.formats:
            return oai_error(400, f"Invalid file format. Supported formats: {self.formats}", param="file")
        if not f.data:
            return oai_error(400, "Audio file is too short. Minimum audio length is 0.1 seconds.", param="file",
                             code="audio_too_short")
        fmt = fields.get("response_format", "json")
        if fmt not in FORMATS:
            return oai_error(400, f"Invalid value: '{fmt}'. Supported values are: {', '.join(map(repr, FORMATS))}.",
                             param="response_format", code="invalid_value")
        model = fields["model"]
        if model.startswith("gpt-4o") and fmt not in ("json", "text"):
            return oai_error(400, f"response_format '{fmt}' is not compatible with model '{model}'. Use 'json' "
                                  "or 'text' instead.", param="response_format", code="unsupported_value")
        lang = fields.get("language")
        if lang and not re.fullmatch(r"[a-z]{2,3}", lang):
            return oai_error(400, f"Invalid language '{lang}'. Language parameter must be specified in ISO-639-1 "
                                  "format.", param="language", code="invalid_language_format")
        if "temperature" in fields:
            try:
                t = float(fields["temperature"])
                assert 0 <= t <= 1
            except (ValueError, AssertionError):
                return oai_error(400, "Invalid 'temperature'.", param="temperature")
        text = self.text_queue.pop(0) if self.text_queue else self.text_default
        self.transcriptions.append({"filename": f.filename, "size": len(f.data), "content_type": f.content_type,
                                    "sha256": hashlib.sha256(f.data).hexdigest(), "model": model,
                                    "language": lang, "prompt": fields.get("prompt"), "response_format": fmt,
                                    "temperature": fields.get("temperature"), "text": text, "t": self.now()})
        if fmt == "text":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, text + "\n"
        if fmt == "srt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, f"1\n00:00:00,000 --> 00:00:03,000\n{text}\n\n"
        if fmt == "vtt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, f"WEBVTT\n\n00:00:00.000 --> 00:00:03.000\n{text}\n\n"
        if fmt == "verbose_json":
            return 200, {}, {"task": "transcribe", "language": lang or "russian", "duration": 3.0, "text": text,
                             "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 3.0, "text": text,
                                           "tokens": [], "temperature": 0.0, "avg_logprob": -0.2,
                                           "compression_ratio": 1.0, "no_speech_prob": 0.01}]}
        body = {"text": text}
        if not model.startswith("whisper"):
            body["usage"] = {"type": "tokens", "input_tokens": 30, "output_tokens": tokens(text),
                             "total_tokens": 30 + tokens(text)}
        return 200, {}, body

    # ---- control ---------------------------------------------------------------------------------
    @staticmethod
    def _reply(x):
        if isinstance(x, str) or x is None:
            return {"content": x, "finish_reason": "stop"}
        if not isinstance(x, dict) or x.get("finish_reason", "stop") not in FINISH:
            raise ValueError(f"reply must be a string, null or an object with a valid finish_reason: {x!r}")
        return {"finish_reason": "stop", "content": None, **x}

    @route("GET,POST", r"^/_fake/chat/replies$")
    def _chat_replies(self, req):
        """Control: POST a reply or a list of replies (string, or {"content", "finish_reason", ...}); FIFO."""
        if req.method == "POST":
            items = req.json if isinstance(req.json, list) else [req.json]
            try:
                self.chat_queue.extend(self._reply(x) for x in items)
            except ValueError as e:
                return 400, {}, {"error": str(e)}
        return 200, {}, list(self.chat_queue)

    @route("POST", r"^/_fake/chat/default$")
    def _chat_default(self, req):
        """Control: the reply used when the queue is empty (until reset)."""
        try:
            self.chat_default = self._reply(req.json)
        except ValueError as e:
            return 400, {}, {"error": str(e)}
        return 200, {}, self.chat_default

    @route("GET,POST", r"^/_fake/transcriptions/texts$")
    def _texts(self, req):
        """Control: POST a text or a list of texts returned by the next transcriptions (FIFO)."""
        if req.method == "POST":
            items = req.json if isinstance(req.json, list) else [req.json]
            if not all(isinstance(x, str) for x in items):
                return 400, {}, {"error": "texts must be strings"}
            self.text_queue.extend(items)
        return 200, {}, list(self.text_queue)

    @route("GET", r"^/_fake/completions$")
    def _completions(self, req):
        return 200, {}, list(self.completions)

    @route("GET", r"^/_fake/transcriptions$")
    def _transcriptions(self, req):
        return 200, {}, list(self.transcriptions)


if __name__ == "__main__":
    run(OpenAI)
