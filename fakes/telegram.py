#!/usr/bin/env python3
"""Fake Telegram Bot API (api.telegram.org) for integration tests.

Run: python3 fakes/telegram.py --port 0 --port-file var/telegram.port --token 123456:ABC-sandbox
"""
import base64
import hashlib
import json
import os
import re
import sys
from urllib.parse import urlsplit

sys.dont_write_bytecode = True  # keep fakes/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeApp, route, run  # noqa: E402

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
TOO_BIG = "Bad Request: file is too big"
BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
WEBHOOK_PORTS = (443, 80, 88, 8443)
DESCRIPTIONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
INLINE_ACTIONS = ("callback_data", "url", "web_app", "login_url", "switch_inline_query",
                  "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
                  "callback_game", "pay")
KIND_PATHS = {"voice": "voice/file_{n}.oga", "video_note": "video_notes/file_{n}.mp4",
              "photo": "photos/file_{n}.jpg", "document": "documents/file_{n}", "audio": "music/file_{n}.mp3",
              "video": "videos/file_{n}.mp4"}


class TgError(Exception):
    def __init__(self, code, description, parameters=None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def tg_error(code, description, parameters=None, status=None):
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return (code if status is None else status), {}, body


def chat_key(value):
    """chat_id as given (int, numeric string or @username) -> int or '@name'; TgError otherwise."""
    if value is None or value == "":
        raise TgError(400, "Bad Request: chat_id is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"@[A-Za-z0-9_]{4,}", value):
        return value
    raise TgError(400, "Bad Request: chat not found")


def json_param(value, error):
    """A parameter that is an object/array in JSON bodies and a JSON string in forms."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise TgError(400, error)
    return value


def flag(value):
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))


def check_markup(markup, inline_only=False):
    """Validate reply_markup; returns it normalised (None for absent / empty inline keyboard)."""
    if markup in (None, ""):
        return None
    markup = json_param(markup, BAD_MARKUP)
    if not isinstance(markup, dict):
        raise TgError(400, BAD_MARKUP)
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise TgError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
        for row in rows:
            for b in row:
                if not isinstance(b, dict) or not isinstance(b.get("text"), str):
                    raise TgError(400, "Bad Request: can't parse inline keyboard button: Text must be a String")
                actions = [a for a in INLINE_ACTIONS if a in b]
                if len(actions) != 1:
                    raise TgError(400, "Bad Request: can't parse inline keyboard button: Text buttons are "
                                       "unallowed in the inline keyboard")
                if "callback_data" in b and not 1 <= len(str(b["callback_data"]).encode()) <= 64:
                    raise TgError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup if any(rows) else None
    if inline_only:
        raise TgError(400, "Bad Request: inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise TgError(400, "Bad Request: field \"keyboard\" of the ReplyKeyboardMarkup must be an Array")
        for row in rows:
            for b in row:
                if not isinstance(b, str) and not (isinstance(b, dict) and isinstance(b.get("text"), str)):
                    raise TgError(400, "Bad Request: can't parse keyboard button: Text must be a String")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise TgError(400, BAD_MARKUP)


def inline_part(markup):
    return markup if markup and "inline_keyboard" in markup else None


class Telegram(FakeApp):
    """Fake Telegram Bot API: /bot<token>/<method> and /file/bot<token>/<path>."""
    name = "telegram"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--token", required=True, help="the bot token (123456:ABC...)")
        parser.add_argument("--bot-username", default="sandbox_bot")
        parser.add_argument("--bot-name", default="Sandbox Bot")
        parser.add_argument("--allow-insecure-webhook", action="store_true",
                            help="accept http:// webhook URLs on any port (sandbox); default: HTTPS on 443/80/88/8443")
        parser.add_argument("--max-download", type=int, default=20 * 1024 * 1024,
                            help="getFile refuses larger files with 'file is too big' (default 20 MB)")

    def reset_state(self):
        self.chats = {}           # key -> {"next_message_id", "blocked", "messages": [record]}
        self.callback_answers, self.inline_edits = [], []
        self.msg_seq = 0          # global send order across chats
        self.answered, self.expired_queries = set(), set()
        self.files, self.file_seq = {}, 0
        self.webhook = {"url": "", "secret_token": None, "allowed_updates": None, "max_connections": 40,
                        "ip_address": None, "drop_pending_updates": None, "set_count": 0}
        self.bot_id = int(self.args.token.split(":")[0]) if self.args.token.split(":")[0].isdigit() else 100000

    # ---- provider-specific bodies ------------------------------------------------------
    def retry_after_body(self, f, seconds):
        n = int(float(seconds))
        return {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {n}",
                "parameters": {"retry_after": n}}

    def rate_limit_body(self):
        return self.retry_after_body(None, 1)

    def error_body(self, status):
        return {"ok": False, "error_code": status, "description": DESCRIPTIONS.get(status, "Error")}

    def sample_body(self):
        return {"ok": True, "result": {"message_id": 1, "date": 1767000000, "text": "this response was cut off"}}

    def fault_tg_error(self, f, req):
        """Any Bot API error: error_code (400), description, parameters, status (= error_code)."""
        code = int(f.get("error_code", 400))
        return tg_error(code, f.get("description", DESCRIPTIONS.get(code, "Error")), f.get("parameters"),
                        f.get("status"))

    def fault_not_modified(self, f, req):
        return tg_error(400, NOT_MODIFIED)

    def fault_query_too_old(self, f, req):
        return tg_error(400, QUERY_TOO_OLD)

    def fault_blocked(self, f, req):
        return tg_error(403, BLOCKED)

    def fault_unauthorized(self, f, req):
        return tg_error(401, "Unauthorized")

    def fault_too_big(self, f, req):
        return tg_error(400, TOO_BIG)

    def fault_ok_false(self, f, req):
        """HTTP 200 with {"ok": false, ...} (defensive clients must fail)."""
        return tg_error(int(f.get("error_code", 400)), f.get("description", "Bad Request: something went wrong"),
                        status=200)

    # ---- helpers --------------------------------------------------------------------------
    def chat(self, key):
        return self.chats.setdefault(key, {"next_message_id": 1, "blocked": False, "messages": []})

    def bot_user(self):
        return {"id": self.bot_id, "is_bot": True, "first_name": self.args.bot_name,
                "username": self.args.bot_username}

    def chat_object(self, key):
        if isinstance(key, str):
            digest = int(hashlib.sha1(key.encode()).hexdigest()[:9], 16)
            return {"id": -1001000000000 - digest, "type": "channel", "title": key[1:], "username": key[1:]}
        if key > 0:
            return {"id": key, "type": "private", "first_name": "Test", "username": f"user{key}"}
        if str(key).startswith("-100"):
            return {"id": key, "type": "supergroup", "title": "Test supergroup"}
        return {"id": key, "type": "group", "title": "Test group"}

    def message_object(self, rec):
        msg = {"message_id": rec["message_id"], "from": self.bot_user(), "chat": self.chat_object(rec["chat_id"]),
               "date": rec["date"]}
        if rec["edit_date"]:
            msg["edit_date"] = rec["edit_date"]
        if rec["text"] is not None:
            msg["text"] = rec["text"]
        if rec["video_note"]:
            msg["video_note"] = dict(rec["video_note"])
        if inline_part(rec["reply_markup"]):  # like Telegram: only inline keyboards come back
            msg["reply_markup"] = rec["reply_markup"]
        return msg

    def new_message(self, key, **fields):
        c = self.chat(key)
        if c["blocked"]:
            raise TgError(403, BLOCKED)
        self.msg_seq += 1
        rec = {"seq": self.msg_seq, "message_id": c["next_message_id"], "chat_id": key, "date": int(self.now()), "edit_date": None,
               "text": None, "parse_mode": None, "reply_markup": None, "video_note": None, "edits": 0,
               "history": [], "deleted": False, **fields}
        c["next_message_id"] += 1
        c["messages"].append(rec)
        return rec

    def find_message(self, p, what):
        key = chat_key(p.get("chat_id"))
        mid = p.get("message_id")
        if mid in (None, ""):
            raise TgError(400, "Bad Request: message identifier is not specified")
        try:
            mid = int(mid)
        except (TypeError, ValueError):
            raise TgError(400, f"Bad Request: message to {what} not found")
        if self.chat(key)["blocked"]:
            raise TgError(403, BLOCKED)
        for rec in self.chat(key)["messages"]:
            if rec["message_id"] == mid and not rec["deleted"]:
                return rec
        raise TgError(400, f"Bad Request: message to {what} not found")

    def new_file(self, kind="document", file_id=None, file_path=None, content=None, file_size=None):
        self.file_seq += 1
        n = self.file_seq
        file_id = file_id or "BQACAgIAAxkBAAI" + base64.urlsafe_b64encode(
            hashlib.sha1(f"{kind}{n}".encode()).digest()).decode().rstrip("=")[:40]
        path = file_path or KIND_PATHS.get(kind, kind + "s/file_{n}").format(n=n)
        rec = {"file_id": file_id, "file_unique_id": "AgAD" + hashlib.sha1(file_id.encode()).hexdigest()[:12],
               "file_path": path, "kind": kind, "content": content,
               "file_size": file_size if file_size is not None else len(content or b"")}
        self.files[file_id] = rec
        return rec

    def text_param(self, p, name="text"):
        text = p.get(name)
        if text is None or (isinstance(text, str) and not text.strip()):
            raise TgError(400, "Bad Request: message text is empty")
        text = str(text)
        if len(text) > 4096:
            raise TgError(400, "Bad Request: message is too long")
        mode = p.get("parse_mode")
        if mode not in (None, "") and str(mode).lower() not in ("html", "markdown", "markdownv2"):
            raise TgError(400, "Bad Request: unsupported parse_mode")
        return text, mode or None

    # ---- routes ------------------------------------------------------------------------------
    @route("GET,POST", r"^/bot(?P<token>[^/]*)/(?P<method>[^/]*)$")
    def api(self, req):
        if req.match["token"] != self.args.token:
            return tg_error(401, "Unauthorized")
        handler = getattr(self, "m_" + req.match["method"].lower(), None)
        if handler is None:
            return tg_error(404, "Not Found: method not found")
        p, files = dict(req.query), {}
        if req.is_json and isinstance(req.json, dict):
            p.update(req.json)
        elif req.content_type == "application/x-www-form-urlencoded":
            p.update(req.form)
        elif req.content_type == "multipart/form-data":
            if req.multipart is None:
                return tg_error(400, "Bad Request: can't parse multipart/form-data")
            for part in req.multipart:
                if part.filename is None:
                    p[part.name] = part.text
                else:
                    files[part.name] = part
        try:
            result = handler(p, files)
        except TgError as e:
            return tg_error(e.code, e.description, e.parameters)
        if isinstance(result, tuple):  # (result, description)
            return 200, {}, {"ok": True, "result": result[0], "description": result[1]}
        return 200, {}, {"ok": True, "result": result}

    @route("GET", r"^/file/bot(?P<token>[^/]*)/(?P<path>.+)$")
    def download(self, req):
        if req.match["token"] != self.args.token:
            return tg_error(404, "Not Found")
        for rec in self.files.values():
            if rec["file_path"] == req.match["path"]:
                return 200, {"Content-Type": "application/octet-stream"}, rec["content"] or b""
        return tg_error(404, "Not Found")

    # ---- methods (m_<lowercase name>(params, files)) -------------------------------------------
    def m_getme(self, p, files):
        return {**self.bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    def m_sendmessage(self, p, files):
        key = chat_key(p.get("chat_id"))
        text, mode = self.text_param(p)
        markup = check_markup(p.get("reply_markup"))
        return self.message_object(self.new_message(key, text=text, parse_mode=mode, reply_markup=markup,
                                                    method="sendMessage"))

    def m_sendvideonote(self, p, files):
        key = chat_key(p.get("chat_id"))
        markup = check_markup(p.get("reply_markup"))
        value = p.get("video_note")
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value[len("attach://"):])
        elif value is None:
            value = files.get("video_note")
        if value is None or value == "":
            raise TgError(400, "Bad Request: there is no video note in the request")
        if isinstance(value, str):
            if re.match(r"(?i)https?://", value):
                raise TgError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            f = self.files.get(value) or {"file_id": value, "file_unique_id": "AgAD" + hashlib.sha1(
                value.encode()).hexdigest()[:12], "file_size": 0}
            uploaded = None
        else:
            if self.chat(key)["blocked"]:
                raise TgError(403, BLOCKED)
            f = self.new_file("video_note", content=value.data)
            uploaded = value.filename
        note = {"duration": int(p.get("duration") or 1), "length": int(p.get("length") or 240),
                "file_id": f["file_id"], "file_unique_id": f["file_unique_id"]}
        if f.get("file_size"):
            note["file_size"] = f["file_size"]
        return self.message_object(self.new_message(key, video_note=note, reply_markup=markup,
                                                    method="sendVideoNote", uploaded_filename=uploaded))

    def m_answercallbackquery(self, p, files):
        qid = p.get("callback_query_id")
        if qid in (None, ""):
            raise TgError(400, "Bad Request: query_id is empty")  # UNCERTAIN wording
        qid = str(qid)
        if qid in self.answered or qid in self.expired_queries:
            raise TgError(400, QUERY_TOO_OLD)
        text = p.get("text")
        if text is not None and len(str(text)) > 200:
            raise TgError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.answered.add(qid)
        self.callback_answers.append({"callback_query_id": qid, "text": text, "show_alert": flag(p.get("show_alert")),
                                      "url": p.get("url"), "cache_time": p.get("cache_time"), "t": self.now()})
        return True

    def _edit(self, p, what, text=None, parse_mode=None, markup=None, change_text=False):
        """Shared by editMessageText/editMessageReplyMarkup; returns the result (Message or True)."""
        if p.get("inline_message_id") not in (None, ""):
            self.inline_edits.append({"inline_message_id": p["inline_message_id"], "method": what,
                                      "text": text, "reply_markup": markup, "t": self.now()})
            return True
        rec = self.find_message(p, "edit")
        if change_text and rec["text"] is None:
            raise TgError(400, "Bad Request: there is no text in the message to edit")
        new_text = text if change_text else rec["text"]
        if new_text == rec["text"] and inline_part(markup) == inline_part(rec["reply_markup"]):
            raise TgError(400, NOT_MODIFIED)
        rec["history"].append({k: rec[k] for k in ("text", "parse_mode", "reply_markup", "edit_date")})
        rec.update(text=new_text, reply_markup=markup, edits=rec["edits"] + 1, edit_date=int(self.now()))
        if change_text:
            rec["parse_mode"] = parse_mode
        return self.message_object(rec)

    def m_editmessagetext(self, p, files):
        text, mode = self.text_param(p)
        markup = check_markup(p.get("reply_markup"), inline_only=True)
        return self._edit(p, "editMessageText", text, mode, markup, change_text=True)

    def m_editmessagereplymarkup(self, p, files):
        markup = check_markup(p.get("reply_markup"), inline_only=True)
        return self._edit(p, "editMessageReplyMarkup", markup=markup)

    def m_deletemessage(self, p, files):
        rec = self.find_message(p, "delete")
        rec["deleted"] = True
        return True

    def m_sendchataction(self, p, files):
        key = chat_key(p.get("chat_id"))
        if not p.get("action"):
            raise TgError(400, "Bad Request: action is empty")  # UNCERTAIN wording
        if self.chat(key)["blocked"]:
            raise TgError(403, BLOCKED)
        return True

    def m_getfile(self, p, files):
        fid = p.get("file_id")
        if fid in (None, ""):
            raise TgError(400, "Bad Request: file_id is empty")  # UNCERTAIN wording
        rec = self.files.get(str(fid))
        if rec is None:
            raise TgError(400, "Bad Request: invalid file_id")
        if rec["file_size"] > self.args.max_download:
            raise TgError(400, TOO_BIG)
        return {k: rec[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}

    def m_setwebhook(self, p, files):
        url = str(p.get("url") or "")
        if url:
            u = urlsplit(url)
            if not self.args.allow_insecure_webhook:
                if u.scheme != "https":
                    raise TgError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
                if (u.port or 443) not in WEBHOOK_PORTS:
                    raise TgError(400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
            elif u.scheme not in ("http", "https") or not u.hostname:
                raise TgError(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
        secret = p.get("secret_token")
        if secret not in (None, "") and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise TgError(400, "Bad Request: secret token contains unallowed characters")
        maxc = p.get("max_connections")
        if maxc not in (None, ""):
            try:
                maxc = int(maxc)
            except (TypeError, ValueError):
                raise TgError(400, "Bad Request: bad max_connections")
            if not 1 <= maxc <= 100:
                raise TgError(400, "Bad Request: bad max_connections")  # UNCERTAIN wording
        allowed = p.get("allowed_updates")
        if allowed not in (None, ""):
            allowed = json_param(allowed, "Bad Request: can't parse allowed updates")
            if not isinstance(allowed, list) or not all(isinstance(x, str) for x in allowed):
                raise TgError(400, "Bad Request: can't parse allowed updates")
        w = self.webhook
        if not url:
            was = w["url"]
            w.update(url="", secret_token=None, drop_pending_updates=flag(p.get("drop_pending_updates")))
            return True, ("Webhook was deleted" if was else "Webhook is already deleted")
        same = w["url"] == url
        w.update(url=url, secret_token=str(secret) if secret not in (None, "") else None,
                 max_connections=maxc or 40, ip_address=p.get("ip_address"),
                 drop_pending_updates=flag(p.get("drop_pending_updates")), set_count=w["set_count"] + 1)
        if allowed not in (None, ""):  # "If not specified, the previous setting will be used"
            w["allowed_updates"] = allowed
        return True, ("Webhook is already set" if same else "Webhook was set")

    def m_deletewebhook(self, p, files):
        was = self.webhook["url"]
        self.webhook.update(url="", secret_token=None, drop_pending_updates=flag(p.get("drop_pending_updates")))
        return True, ("Webhook was deleted" if was else "Webhook is already deleted")

    def m_getwebhookinfo(self, p, files):
        w = self.webhook
        info = {"url": w["url"], "has_custom_certificate": False, "pending_update_count": 0}
        if w["url"]:
            info["max_connections"] = w["max_connections"]
            if w["ip_address"]:
                info["ip_address"] = w["ip_address"]
            if w["allowed_updates"] is not None:
                info["allowed_updates"] = w["allowed_updates"]
        return info

    def m_getupdates(self, p, files):
        if self.webhook["url"]:
            raise TgError(409, "Conflict: can't use getUpdates method while webhook is active; use "
                               "deleteWebhook to delete the webhook first")
        return []

    # ---- control ------------------------------------------------------------------------------
    def control_record(self, rec):
        out = {k: v for k, v in rec.items() if k != "history"}
        out["history"] = [dict(h) for h in rec["history"]]
        return out

    @route("GET", r"^/_fake/messages$")
    def _messages(self, req):
        """Control: messages the bot sent, in send order (current state after edits); ?chat_id=X."""
        q = req.query.get("chat_id")
        try:
            keys = [chat_key(q)] if q is not None else list(self.chats)
        except TgError:
            return 400, {}, {"error": "chat_id must be an integer or @username"}
        out = [self.control_record(r) for k in keys for r in self.chats.get(k, {"messages": []})["messages"]]
        if req.query.get("include_deleted") != "1":
            out = [r for r in out if not r["deleted"]]
        return 200, {}, sorted(out, key=lambda r: r["seq"]) if q is None else out

    @route("GET", r"^/_fake/chats$")
    def _chats(self, req):
        return 200, {}, {str(k): {"blocked": c["blocked"], "next_message_id": c["next_message_id"],
                                  "messages": len(c["messages"])} for k, c in self.chats.items()}

    @route("POST", r"^/_fake/chats/(?P<chat>[^/]+)$")
    def _set_chat(self, req):
        """Control: {"blocked": true|false, "next_message_id": N} for one chat."""
        try:
            key = chat_key(req.match["chat"])
        except TgError:
            return 400, {}, {"error": "chat id must be an integer or @username"}
        body = req.json if isinstance(req.json, dict) else {}
        c = self.chat(key)
        if "blocked" in body:
            c["blocked"] = bool(body["blocked"])
        if "next_message_id" in body:
            c["next_message_id"] = int(body["next_message_id"])
        return 200, {}, {"chat_id": key, "blocked": c["blocked"], "next_message_id": c["next_message_id"]}

    @route("GET", r"^/_fake/callback_answers$")
    def _answers(self, req):
        return 200, {}, list(self.callback_answers)

    @route("POST", r"^/_fake/callback_queries/(?P<id>[^/]+)/expire$")
    def _expire_query(self, req):
        """Control: answering this callback query id now fails with 'query is too old'."""
        self.expired_queries.add(req.match["id"])
        return 200, {}, {"ok": True}

    @route("GET", r"^/_fake/inline_edits$")
    def _inline(self, req):
        return 200, {}, list(self.inline_edits)

    @route("GET", r"^/_fake/webhook$")
    def _webhook(self, req):
        return 200, {}, dict(self.webhook)

    @route("GET", r"^/_fake/files$")
    def _files(self, req):
        return 200, {}, [{k: v for k, v in f.items() if k != "content"} for f in self.files.values()]

    @route("POST", r"^/_fake/files$")
    def _add_file(self, req):
        """Control: {"kind","file_id","file_path","content" (text) | "content_b64","file_size"}."""
        b = req.json if isinstance(req.json, dict) else None
        if b is None:
            return 400, {}, {"error": "JSON object expected"}
        try:
            content = base64.b64decode(b["content_b64"]) if "content_b64" in b else \
                (b["content"].encode() if isinstance(b.get("content"), str) else b"")
        except ValueError:
            return 400, {}, {"error": "content_b64 is not base64"}
        rec = self.new_file(b.get("kind", "voice"), b.get("file_id"), b.get("file_path"), content, b.get("file_size"))
        return 200, {}, {k: v for k, v in rec.items() if k != "content"}

    @route("PUT", r"^/_fake/files/(?P<id>[^/]+)$")
    def _put_file(self, req):
        """Control: raw body = file content; ?kind=voice&file_path=...&file_size=N."""
        q = req.query
        size = int(q["file_size"]) if q.get("file_size", "").isdigit() else None
        rec = self.new_file(q.get("kind", "voice"), req.match["id"], q.get("file_path"), req.raw, size)
        return 200, {}, {k: v for k, v in rec.items() if k != "content"}

if __name__ == "__main__":
    run(Telegram)
