#!/usr/bin/env python3
"""Fake Chat2Desk API (api.chat2desk.com/v1) for integration tests.

Run: python3 fakes/chat2desk.py --port 0 --port-file var/chat2desk.port --token TOKEN [--webhook-url URL]

Like the real platform, it POSTs webhooks to the bot: an `outbox` hook for every message sent through it (the
bot's own replies, with the message id the send returned, and operators' messages scripted through
POST /_fake/operator_message) and a `close_dialog` hook when POST /_fake/close_dialog closes a client's dialog.
Hooks go out one at a time in the order of their events (a background thread), after the send's response by
default; `{"echo_timing": "before_response"}` on /_fake/config posts the echo before the send answers (the race
where the bot hears its own echo before it has stored the send's message id).
"""
import hashlib
import json
import os
import queue
import re
import sys
import threading
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # keep fakes/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakelib import FakeApp, route, run  # noqa: E402

AUTH_ERROR = {"status": "error", "message": "You need to auth"}
RATE_LIMIT = {"status": "error", "message": "Number of API requests exceeded"}
MESSAGE_TYPES = ("to_client", "autoreply", "system", "comment")
# What GET /v1/messages items are known to carry: the fields of the C# SDK's Message type (dgolovachev/
# Chat2DeskClient Types/Message.cs) plus `attachments` and `extra_data`. `external_id` is not among them: whether
# the list returns it is unknown, so it is added only while `external_id_in_list` is on (the default).
LISTED_FIELDS = ("id", "text", "video", "photo", "coordinates", "transport", "type", "read", "created", "audio",
                 "pdf", "remote_id", "recipient_status", "operator_id", "channel_id", "dialog_id", "client_id",
                 "attachments", "extra_data")
# The list's order is not documented: by default the fake answers in a stable order that is not chronological.
LIST_ORDERS = ("scrambled", "newest_first", "oldest_first")
ECHO_TIMINGS = ("after_response", "before_response")
OPERATOR_ID = 501  # the operator the scripted messages and closes are attributed to


def error(status, message, errors=None):
    body = {"status": "error", "message": message}
    if errors is not None:
        body["errors"] = errors
    return status, {}, body


def parse_id(value):
    """Positive int, or a string of ASCII digits; None otherwise (bools rejected)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        return int(value) or None
    return None


class Chat2Desk(FakeApp):
    """Fake Chat2Desk API: POST/GET /v1/messages with raw-token Authorization."""
    name = "chat2desk"

    @classmethod
    def add_arguments(cls, parser):
        parser.add_argument("--token", required=True, help="expected raw Authorization header")
        parser.add_argument("--channel-id", type=int, default=1)
        parser.add_argument("--transport", default="telegram")
        parser.add_argument("--list-order", choices=LIST_ORDERS, default="scrambled",
                            help="order of GET /v1/messages (default scrambled: stable, not chronological)")
        parser.add_argument("--omit-external-id", action="store_true",
                            help="GET /v1/messages items carry no external_id field")
        parser.add_argument("--first-message-id", type=int, default=1,
                            help="the first message id (Chat2Desk's ids are unique across a company: fakes side by "
                                 "side must not hand out the same ones)")
        parser.add_argument("--webhook-url", default=None,
                            help="where to POST outbox/close_dialog hooks (none: hooks are only recorded)")

    def __init__(self, args):
        self.hook_queue = queue.Queue()
        super().__init__(args)
        threading.Thread(target=self.hook_sender, name="hooks", daemon=True).start()

    def reset_state(self):
        self.messages = []        # delivered messages, delivery order
        self.dialogs = {}         # client_id -> its open dialog's id
        self.next_dialog_id = 1001
        self.next_id = self.args.first_message_id
        self.next_request_id = 1
        self.list_order = self.args.list_order
        self.external_id_in_list = not self.args.omit_external_id
        self.webhook_url = self.args.webhook_url
        self.echo_timing = "after_response"
        self.external_id_in_hooks = True   # whether the real hooks carry it is not documented
        self.hooks = []           # every hook built, event order, with its delivery result once posted
        self.hook_generation = getattr(self, "hook_generation", 0) + 1   # a reset drops the hooks not yet posted

    def dialog_for(self, client_id):
        """The client's open dialog, opened now if it has none (a closed dialog's client gets a new one)."""
        if client_id not in self.dialogs:
            self.dialogs[client_id] = self.next_dialog_id
            self.next_dialog_id += 1
        return self.dialogs[client_id]

    # ---- webhooks to the bot ------------------------------------------------------
    def hook_for(self, msg, hook_type="outbox"):
        return {"hook_type": hook_type, "message_id": msg["id"], "type": msg["type"], "text": msg["text"],
                "transport": msg["transport"], "client_id": msg["client_id"], "channel_id": msg["channel_id"],
                "operator_id": msg["operator_id"], "dialog_id": msg["dialog_id"], "request_id": msg["request_id"],
                "external_id": msg["external_id"] if self.external_id_in_hooks else None, "photo": None, "coordinates": None, "audio": None, "pdf": None,
                "attachments": msg["attachments"], "extra_data": {},
                "client": {"id": msg["client_id"], "phone": f"[tg] {msg['client_id']}", "client_phone": "",
                           "name": None, "assigned_name": None, "external_id": None},
                "event_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now()))}

    def emit(self, payload, synchronous=False):
        """Records a hook and posts it (now, or queued behind the earlier ones)."""
        record = {"seq": len(self.hooks) + 1, "payload": payload, "url": self.webhook_url, "status": None, "error": None}
        self.hooks.append(record)
        if not self.webhook_url:
            record["error"] = "no webhook url configured"
        elif synchronous:
            self.post_hook(record)
        else:
            self.hook_queue.put((self.hook_generation, record))

    def hook_sender(self):
        while True:
            generation, record = self.hook_queue.get()
            if generation == self.hook_generation:
                self.post_hook(record)

    def post_hook(self, record):
        data = json.dumps(record["payload"]).encode()
        req = urllib.request.Request(record["url"], data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                record["status"] = r.status
        except urllib.error.HTTPError as e:
            record["status"] = e.code
        except (OSError, ValueError) as e:
            record["error"] = str(e)

    def rate_limit_body(self):
        return RATE_LIMIT

    def sample_body(self):
        return {"status": "success", "data": {"message_id": 1, "channel_id": self.args.channel_id,
                                              "transport": self.args.transport, "type": "to_client"}}

    # provider-specific fault modes
    def fault_error200(self, f, req):
        return 200, {}, f.get("body", RATE_LIMIT)

    def fault_unauthorized(self, f, req):
        return 401, {}, AUTH_ERROR

    def authorized(self, req):
        return req.header("Authorization") == self.args.token

    @route("POST", r"^/v1/messages/?$")
    def send_message(self, req):
        if not self.authorized(req):
            return 401, {}, AUTH_ERROR
        body = req.json
        if not isinstance(body, dict):
            return error(400, "Request body must be a JSON object", {"body": ["invalid JSON"]})
        errors = {}
        client_id = parse_id(body.get("client_id"))
        if client_id is None:
            errors["client_id"] = ["client_id is required and must be a positive integer"]
        text, attachment = body.get("text"), body.get("attachment")
        if text is not None and not isinstance(text, str):
            errors["text"] = ["text must be a string"]
        elif not (text or "").strip() and not attachment:
            errors["text"] = ["text or attachment is required"]
        mtype = body.get("type", "to_client")
        if mtype not in MESSAGE_TYPES:
            errors["type"] = [f"type must be one of {', '.join(MESSAGE_TYPES)}"]
        if errors:
            return error(400, next(iter(errors.values()))[0], errors)

        dialog_id = self.dialog_for(client_id)
        msg = {"id": self.next_id, "text": text, "client_id": client_id, "type": mtype,
               "external_id": body.get("external_id"), "attachment": attachment,
               "attachments": [{"name": attachment.rsplit("/", 1)[-1], "link": attachment}] if attachment else [],
               "read": 0, "photo": None, "video": None, "audio": None, "pdf": None, "coordinates": None,
               "remote_id": None, "recipient_status": None, "operator_id": body.get("operator_id"), "extra_data": {},
               "channel_id": parse_id(body.get("channel_id")) or self.args.channel_id,
               "transport": body.get("transport") or self.args.transport,
               "dialog_id": dialog_id, "request_id": self.next_request_id,
               "created": time.strftime("%Y-%m-%dT%H:%M:%S UTC", time.gmtime())}
        self.next_id += 1
        self.next_request_id += 1
        self.messages.append(msg)
        self.emit(self.hook_for(msg), synchronous=self.echo_timing == "before_response")
        data = {k: msg[k] for k in ("channel_id", "transport", "type", "client_id",
                                    "dialog_id", "request_id")}
        return 200, {}, {"status": "success", "data": {"message_id": msg["id"], **data}}

    @route("POST", r"^/_fake/operator_message$")
    def _operator_message(self, req):
        """Control: an operator writes {"client_id", "text"} to the client in the desk; the bot hears the outbox hook."""
        body = req.json if isinstance(req.json, dict) else {}
        client_id, text = parse_id(body.get("client_id")), body.get("text")
        if client_id is None or not isinstance(text, str) or not text.strip():
            return 400, {}, {"error": "client_id (positive integer) and text (non-empty string) are required"}
        dialog_id = self.dialog_for(client_id)
        msg = {"id": self.next_id, "text": text, "client_id": client_id, "type": "to_client", "external_id": None,
               "attachment": None, "attachments": [], "read": 0, "photo": None, "video": None, "audio": None,
               "pdf": None, "coordinates": None, "remote_id": None, "recipient_status": None,
               "operator_id": body.get("operator_id", OPERATOR_ID), "extra_data": {},
               "channel_id": self.args.channel_id, "transport": self.args.transport, "dialog_id": dialog_id,
               "request_id": self.next_request_id, "created": time.strftime("%Y-%m-%dT%H:%M:%S UTC", time.gmtime())}
        self.next_id += 1
        self.messages.append(msg)
        self.emit(self.hook_for(msg))
        return 200, {}, {"message_id": msg["id"], "dialog_id": dialog_id}

    @route("POST", r"^/_fake/close_dialog$")
    def _close_dialog(self, req):
        """Control: an operator closes {"client_id"}'s dialog; the bot hears a `close_dialog` hook."""
        body = req.json if isinstance(req.json, dict) else {}
        client_id = parse_id(body.get("client_id"))
        if client_id is None:
            return 400, {}, {"error": "client_id (positive integer) is required"}
        dialog_id = self.dialog_for(client_id)
        del self.dialogs[client_id]
        self.emit({"hook_type": "close_dialog", "client_id": client_id, "dialog_id": dialog_id,
                   "operator_id": body.get("operator_id", OPERATOR_ID), "request_id": self.next_request_id,
                   "event_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now()))})
        self.next_request_id += 1
        return 200, {}, {"dialog_id": dialog_id}

    @route("GET", r"^/_fake/hooks$")
    def _hooks(self, req):
        """Control: the hooks built so far, in event order, each with its delivery status (null while queued)."""
        cid = parse_id(req.query.get("client_id", ""))
        return 200, {}, [dict(h) for h in self.hooks if cid is None or h["payload"].get("client_id") == cid]

    @route("GET", r"^/v1/messages/?$")
    def list_messages(self, req):
        if not self.authorized(req):
            return 401, {}, AUTH_ERROR
        q, errors = req.query, {}
        client_id = parse_id(q["client_id"]) if "client_id" in q else None
        if "client_id" in q and client_id is None:
            errors["client_id"] = ["client_id must be a positive integer"]
        limit, offset = q.get("limit", "20"), q.get("offset", "0")
        if not re.fullmatch(r"[0-9]+", limit) or not 1 <= int(limit) <= 200:
            errors["limit"] = ["limit must be an integer between 1 and 200"]
        if not re.fullmatch(r"[0-9]+", offset):
            errors["offset"] = ["offset must be a non-negative integer"]
        if errors:
            return error(400, next(iter(errors.values()))[0], errors)
        limit, offset = int(limit), int(offset)
        fields = LISTED_FIELDS + (("external_id",) if self.external_id_in_list else ())
        found = [{k: m[k] for k in fields} for m in self.ordered(self.messages)
                 if client_id is None or m["client_id"] == client_id]
        return 200, {}, {"status": "success", "data": found[offset:offset + limit],
                         "meta": {"total": len(found), "limit": limit, "offset": offset}}

    def ordered(self, messages):
        if self.list_order == "newest_first":
            return list(reversed(messages))
        if self.list_order == "oldest_first":
            return list(messages)
        return sorted(messages, key=lambda m: hashlib.sha256(str(m["id"]).encode()).digest())

    @route("POST", r"^/_fake/config$")
    def _config(self, req):
        """Control: {"list_order": "scrambled"|"newest_first"|"oldest_first", "external_id_in_list": bool,
        "webhook_url": str|null, "echo_timing": "after_response"|"before_response", "external_id_in_hooks": bool}."""
        body = req.json if isinstance(req.json, dict) else {}
        if "webhook_url" in body:
            if body["webhook_url"] is not None and not (isinstance(body["webhook_url"], str)
                                                       and body["webhook_url"].startswith("http")):
                return 400, {}, {"error": "webhook_url must be an http(s) URL or null"}
            self.webhook_url = body["webhook_url"]
        if "echo_timing" in body:
            if body["echo_timing"] not in ECHO_TIMINGS:
                return 400, {}, {"error": f"echo_timing must be one of {', '.join(ECHO_TIMINGS)}"}
            self.echo_timing = body["echo_timing"]
        if "external_id_in_hooks" in body:
            if not isinstance(body["external_id_in_hooks"], bool):
                return 400, {}, {"error": "external_id_in_hooks must be true or false"}
            self.external_id_in_hooks = body["external_id_in_hooks"]
        if "list_order" in body:
            if body["list_order"] not in LIST_ORDERS:
                return 400, {}, {"error": f"list_order must be one of {', '.join(LIST_ORDERS)}"}
            self.list_order = body["list_order"]
        if "external_id_in_list" in body:
            if not isinstance(body["external_id_in_list"], bool):
                return 400, {}, {"error": "external_id_in_list must be true or false"}
            self.external_id_in_list = body["external_id_in_list"]
        return 200, {}, {"list_order": self.list_order, "external_id_in_list": self.external_id_in_list,
                         "webhook_url": self.webhook_url, "echo_timing": self.echo_timing,
                         "external_id_in_hooks": self.external_id_in_hooks}

    @route("GET", r"^/_fake/messages$")
    def _delivered(self, req):
        """Control: delivered messages in delivery order, optionally ?client_id=X."""
        cid = parse_id(req.query.get("client_id", ""))
        if "client_id" in req.query and cid is None:
            return 400, {}, {"error": "client_id must be a positive integer"}
        return 200, {}, [dict(m) for m in self.messages if cid is None or m["client_id"] == cid]


if __name__ == "__main__":
    run(Chat2Desk)
