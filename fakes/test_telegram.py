#!/usr/bin/env python3
"""Self-test for the Telegram fake. Run: python3 fakes/test_telegram.py (also run by test_fakes.py)."""
import base64
import json
import os
import sys
import time
from urllib.parse import urlencode

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testkit import expect_invalid_json, expect_no_response, expect_timeout, main_for, multipart  # noqa: E402

TOKEN = "123456:ABC-test_token"
SCRIPT, NAME = "telegram.py", "telegram"
ARGS = ["--token", TOKEN, "--bot-username", "test_bot"]
CHAT = 555000111222
KB = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}, {"text": "Нет", "callback_data": "no"}]]}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def api(c, method, params=None, form=False, token=TOKEN, **kw):
    path = f"/bot{token}/{method}"
    if form:
        body = urlencode({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()})
        return c.call("POST", path, body, FORM, **kw)
    return c.call("POST", path, params if params is not None else {}, **kw)


def sent(c, chat=CHAT):
    return c.ctl("GET", f"messages?chat_id={chat}")


def t_get_me_and_routing(c):
    r = api(c, "getMe")
    assert r.status == 200 and r.json["ok"] is True, r
    me = r.json["result"]
    assert me["id"] == 123456 and me["is_bot"] is True and me["username"] == "test_bot"
    for m in ("getme", "GETME", "GetMe"):
        assert api(c, m).json["result"]["id"] == 123456
    g = c.call("GET", f"/bot{TOKEN}/getMe")
    assert g.status == 200 and g.json["ok"]
    r = api(c, "noSuchMethod")
    assert r.status == 404 and r.json == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


def t_bad_token(c):
    r = api(c, "getMe", token="123456:WRONG")
    assert r.status == 401 and r.json == {"ok": False, "error_code": 401, "description": "Unauthorized"}, r
    assert api(c, "sendMessage", {"chat_id": CHAT, "text": "x"}, token="").status == 401
    assert sent(c) == []


def t_send_message_json_and_form(c):
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "Привет", "reply_markup": KB, "parse_mode": "HTML"})
    assert r.status == 200 and r.json["ok"], r
    m = r.json["result"]
    assert m["message_id"] == 1 and m["text"] == "Привет" and m["chat"]["id"] == CHAT and m["chat"]["type"] == "private"
    assert m["from"]["is_bot"] and isinstance(m["date"], int) and m["reply_markup"] == KB
    reply_kb = {"keyboard": [[{"text": "Поделиться номером", "request_contact": True}]], "resize_keyboard": True,
                "one_time_keyboard": True}
    r = api(c, "sendmessage", {"chat_id": str(CHAT), "text": "Номер?", "reply_markup": reply_kb}, form=True)
    assert r.status == 200 and r.json["result"]["message_id"] == 2, r
    assert "reply_markup" not in r.json["result"]        # Telegram echoes inline keyboards only
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "bye", "reply_markup": {"remove_keyboard": True}})
    assert r.json["result"]["message_id"] == 3
    q = c.call("GET", f"/bot{TOKEN}/sendMessage?chat_id=777&text=query+string")
    assert q.json["result"]["message_id"] == 1 and q.json["result"]["text"] == "query string"   # per-chat counter
    ms = sent(c)
    assert [(m["message_id"], m["text"]) for m in ms] == [(1, "Привет"), (2, "Номер?"), (3, "bye")]
    assert ms[0]["reply_markup"] == KB and ms[1]["reply_markup"] == reply_kb and ms[0]["parse_mode"] == "HTML"
    assert ms[2]["reply_markup"] == {"remove_keyboard": True}
    assert [m["chat_id"] for m in c.ctl("GET", "messages")] == [CHAT, CHAT, CHAT, 777]   # all chats, send order
    r = api(c, "sendMessage", {"chat_id": -1001234567890, "text": "group"})
    assert r.json["result"]["chat"]["type"] == "supergroup"


def t_send_message_validation(c):
    cases = [({"text": "x"}, "Bad Request: chat_id is empty"),
             ({"chat_id": "not a chat", "text": "x"}, "Bad Request: chat not found"),
             ({"chat_id": CHAT}, "Bad Request: message text is empty"),
             ({"chat_id": CHAT, "text": "  "}, "Bad Request: message text is empty"),
             ({"chat_id": CHAT, "text": "x" * 4097}, "Bad Request: message is too long"),
             ({"chat_id": CHAT, "text": "x", "parse_mode": "BBCode"}, "Bad Request: unsupported parse_mode"),
             ({"chat_id": CHAT, "text": "x", "reply_markup": "{not json"}, "reply keyboard markup"),
             ({"chat_id": CHAT, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "no action"}]]}},
              "inline keyboard button"),
             ({"chat_id": CHAT, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d" * 65}]]}},
              "BUTTON_DATA_INVALID")]
    for params, needle in cases:
        r = api(c, "sendMessage", params)
        assert r.status == 400 and r.json["ok"] is False and r.json["error_code"] == 400, (params, r)
        assert needle in r.json["description"], (needle, r.json)
    assert api(c, "sendMessage", {"chat_id": CHAT, "text": "4096", "parse_mode": "MarkdownV2"}).status == 200
    assert len(sent(c)) == 1


def t_blocked_chat(c):
    assert api(c, "sendMessage", {"chat_id": CHAT, "text": "before"}).status == 200
    assert c.ctl("POST", f"chats/{CHAT}", {"blocked": True})["blocked"] is True
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "after"})
    assert r.status == 403 and r.json == {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
    assert api(c, "sendVideoNote", {"chat_id": CHAT, "video_note": "DQACAgIAAxk"}).status == 403
    assert api(c, "editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "edit"}).status == 403
    assert api(c, "sendMessage", {"chat_id": 999, "text": "other chat"}).status == 200
    assert [m["text"] for m in sent(c)] == ["before"]
    assert c.ctl("GET", "chats")[str(CHAT)]["blocked"] is True
    c.ctl("POST", f"chats/{CHAT}", {"blocked": False, "next_message_id": 100})
    assert api(c, "sendMessage", {"chat_id": CHAT, "text": "again"}).json["result"]["message_id"] == 100


def t_edit_message_text(c):
    api(c, "sendMessage", {"chat_id": CHAT, "text": "Выберите", "reply_markup": KB})
    r = api(c, "editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "Выбрано: Да"})
    assert r.status == 200 and r.json["result"]["text"] == "Выбрано: Да" and "edit_date" in r.json["result"], r
    assert "reply_markup" not in r.json["result"]       # editing text without markup drops the keyboard
    m = sent(c)[0]
    assert m["text"] == "Выбрано: Да" and m["reply_markup"] is None and m["edits"] == 1
    assert m["history"][0]["text"] == "Выберите" and m["history"][0]["reply_markup"] == KB
    r = api(c, "editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "Выбрано: Да"})
    assert r.status == 400 and r.json["description"].startswith("Bad Request: message is not modified"), r
    r = api(c, "editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "Выбрано: Да", "reply_markup": KB}, form=True)
    assert r.status == 200 and r.json["result"]["reply_markup"] == KB     # same text, new markup: modified
    assert api(c, "editMessageText", {"chat_id": CHAT, "message_id": 42, "text": "x"}).json["description"] == \
        "Bad Request: message to edit not found"
    r = api(c, "editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "x", "reply_markup": {"keyboard": [["a"]]}})
    assert r.status == 400
    r = api(c, "editMessageText", {"inline_message_id": "AgAAA", "text": "inline"})
    assert r.status == 200 and r.json["result"] is True and c.ctl("GET", "inline_edits")[0]["text"] == "inline"


def t_edit_reply_markup(c):
    api(c, "sendMessage", {"chat_id": CHAT, "text": "Q", "reply_markup": KB})
    r = api(c, "editMessageReplyMarkup", {"chat_id": CHAT, "message_id": 1, "reply_markup": KB})
    assert r.status == 400 and "message is not modified" in r.json["description"], r
    r = api(c, "editMessageReplyMarkup", {"chat_id": CHAT, "message_id": 1})
    assert r.status == 200 and "reply_markup" not in r.json["result"] and r.json["result"]["text"] == "Q"
    assert sent(c)[0]["reply_markup"] is None
    r = api(c, "editMessageReplyMarkup", {"chat_id": CHAT, "message_id": 1, "reply_markup": {"inline_keyboard": []}})
    assert r.status == 400 and "not modified" in r.json["description"]    # empty keyboard == no keyboard
    new = {"inline_keyboard": [[{"text": "Открыть", "url": "https://example.com"}]]}
    r = api(c, "editmessagereplymarkup", {"chat_id": CHAT, "message_id": 1, "reply_markup": new}, form=True)
    assert r.json["result"]["reply_markup"] == new and sent(c)[0]["reply_markup"] == new
    assert api(c, "editMessageReplyMarkup", {"chat_id": CHAT, "message_id": 9, "reply_markup": new}).status == 400


def t_answer_callback_query(c):
    r = api(c, "answerCallbackQuery", {"callback_query_id": "4382bfdwdsb323b2d9", "text": "Принято"})
    assert r.status == 200 and r.json == {"ok": True, "result": True}, r
    r = api(c, "answerCallbackQuery", {"callback_query_id": "4382bfdwdsb323b2d9"})
    assert r.status == 400 and r.json["description"] == \
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    c.ctl("POST", "callback_queries/old-query/expire")
    assert api(c, "answerCallbackQuery", {"callback_query_id": "old-query"}, form=True).status == 400
    assert api(c, "answerCallbackQuery", {}).status == 400
    answers = c.ctl("GET", "callback_answers")
    assert [(a["callback_query_id"], a["text"]) for a in answers] == [("4382bfdwdsb323b2d9", "Принято")]


def t_send_video_note(c):
    r = api(c, "sendVideoNote", {"chat_id": CHAT, "video_note": "DQACAgIAAxkBAAIBnote", "length": 360, "duration": 12})
    assert r.status == 200, r
    vn = r.json["result"]["video_note"]
    assert vn["file_id"] == "DQACAgIAAxkBAAIBnote" and vn["length"] == 360 and vn["duration"] == 12 and vn["file_unique_id"]
    body, ctype = multipart({"chat_id": CHAT}, [("video_note", "circle.mp4", b"\x00\x00mp4data", "video/mp4")])
    r = c.call("POST", f"/bot{TOKEN}/sendVideoNote", body, {"Content-Type": ctype})
    assert r.status == 200, r
    up = r.json["result"]["video_note"]
    assert up["file_size"] == 9 and r.json["result"]["message_id"] == 2
    assert api(c, "getFile", {"file_id": up["file_id"]}).json["result"]["file_path"].startswith("video_notes/")
    ms = sent(c)
    assert [m["video_note"]["file_id"] for m in ms] == ["DQACAgIAAxkBAAIBnote", up["file_id"]]
    assert ms[1]["uploaded_filename"] == "circle.mp4" and ms[0]["text"] is None
    assert api(c, "sendVideoNote", {"chat_id": CHAT}).status == 400
    assert api(c, "sendVideoNote", {"chat_id": CHAT, "video_note": "https://x/y.mp4"}).status == 400
    r = api(c, "editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "x"})
    assert r.status == 400 and "no text" in r.json["description"]


def t_files(c):
    f = c.ctl("POST", "files", {"kind": "voice", "content_b64": base64.b64encode(b"OggS\x00voice").decode()})
    assert f["file_path"] == "voice/file_1.oga" and f["file_size"] == 10 and "content" not in f
    r = api(c, "getFile", {"file_id": f["file_id"]})
    assert r.status == 200 and r.json["result"] == {k: f[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}
    d = c.call("GET", f"/file/bot{TOKEN}/{f['file_path']}")
    assert d.status == 200 and d.raw == b"OggS\x00voice" and d.headers["content-type"] == "application/octet-stream"
    assert c.call("GET", f"/file/bot123456:WRONG/{f['file_path']}").status == 404
    assert c.call("GET", f"/file/bot{TOKEN}/voice/missing.oga").status == 404
    r = c.call("PUT", "/_fake/files/AwACAgIAAxkBAAIvoice?kind=voice", b"raw-bytes")
    assert r.status == 200 and r.json["file_path"] == "voice/file_2.oga"
    got = api(c, "getfile", {"file_id": "AwACAgIAAxkBAAIvoice"}, form=True).json["result"]
    assert c.call("GET", f"/file/bot{TOKEN}/{got['file_path']}").raw == b"raw-bytes"
    c.ctl("POST", "files", {"file_id": "big", "kind": "video", "file_size": 21 * 1024 * 1024})
    r = api(c, "getFile", {"file_id": "big"})
    assert r.status == 400 and r.json["description"] == "Bad Request: file is too big", r
    assert api(c, "getFile", {"file_id": "nope"}).json["description"] == "Bad Request: invalid file_id"
    assert len(c.ctl("GET", "files")) == 3


def t_webhook(c):
    info = api(c, "getWebhookInfo").json["result"]
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    r = api(c, "setWebhook", {"url": "https://bot.example.com/hooks/telegram", "secret_token": "s3cr3t_TOKEN-1",
                              "allowed_updates": ["message", "callback_query"], "max_connections": 10})
    assert r.json == {"ok": True, "result": True, "description": "Webhook was set"}, r
    info = api(c, "getWebhookInfo").json["result"]
    assert info["url"] == "https://bot.example.com/hooks/telegram" and info["allowed_updates"] == ["message", "callback_query"]
    assert info["max_connections"] == 10 and "secret_token" not in info
    w = c.ctl("GET", "webhook")
    assert w["secret_token"] == "s3cr3t_TOKEN-1" and w["set_count"] == 1
    assert api(c, "getUpdates").status == 409
    r = api(c, "setWebhook", {"url": "https://bot.example.com/hooks/telegram", "secret_token": "other"}, form=True)
    assert r.json["description"] == "Webhook is already set"
    assert c.ctl("GET", "webhook")["allowed_updates"] == ["message", "callback_query"]   # kept when not given
    for bad, needle in (({"url": "http://bot.example.com/h"}, "HTTPS URL"), ({"url": "https://bot.example.com:9000/h"}, "ports"),
                        ({"url": "https://bot.example.com/h", "secret_token": "bad token!"}, "secret token"),
                        ({"url": "https://bot.example.com/h", "allowed_updates": "nope"}, "allowed updates")):
        r = api(c, "setWebhook", bad)
        assert r.status == 400 and needle in r.json["description"], (bad, r)
    r = api(c, "deleteWebhook", {"drop_pending_updates": True})
    assert r.json["result"] is True and r.json["description"] == "Webhook was deleted"
    assert api(c, "getWebhookInfo").json["result"]["url"] == "" and c.ctl("GET", "webhook")["drop_pending_updates"] is True
    assert api(c, "deleteWebhook").json["description"] == "Webhook is already deleted"
    assert api(c, "getUpdates").json == {"ok": True, "result": []}


def t_misc_methods(c):
    api(c, "sendMessage", {"chat_id": CHAT, "text": "to delete"})
    assert api(c, "sendChatAction", {"chat_id": CHAT, "action": "typing"}).json["result"] is True
    assert api(c, "deleteMessage", {"chat_id": CHAT, "message_id": 1}).json["result"] is True
    assert sent(c) == [] and len(c.ctl("GET", f"messages?chat_id={CHAT}&include_deleted=1")) == 1
    assert api(c, "deleteMessage", {"chat_id": CHAT, "message_id": 1}).status == 400


def t_fault_flood(c):
    c.fault(route=f"/bot{TOKEN}/sendMessage", mode="retry_after", seconds=5)
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "x"})
    assert r.status == 429 and r.headers["retry-after"] == "5", r
    assert r.json == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
                      "parameters": {"retry_after": 5}}
    assert sent(c) == [] and api(c, "sendMessage", {"chat_id": CHAT, "text": "x"}).status == 200


def t_fault_errors(c):
    route = "^/bot[^/]+/(?i:editMessageText)$"
    c.fault(route=route, mode="not_modified")
    assert "message is not modified" in api(c, "editMessageText", {}).json["description"]
    c.fault(route="*", mode="query_too_old")
    assert api(c, "answerCallbackQuery", {"callback_query_id": "q"}).json["description"].startswith("Bad Request: query is too old")
    assert c.ctl("GET", "callback_answers") == []
    c.fault(route="*", mode="blocked")
    assert api(c, "sendMessage", {"chat_id": CHAT, "text": "x"}).status == 403
    c.fault(route="*", mode="unauthorized")
    assert api(c, "getMe").json == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    c.fault(route="*", mode="too_big")
    assert api(c, "getFile", {"file_id": "x"}).json["description"] == "Bad Request: file is too big"
    c.fault(route="*", mode="status", status=502)
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "x"})
    assert r.status == 502 and r.json == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    c.fault(route="*", mode="html", status=502)
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "x"})
    assert r.status == 502 and r.headers["content-type"].startswith("text/html")
    c.fault(route="*", mode="ok_false")
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "x"})
    assert r.status == 200 and r.json["ok"] is False and r.json["error_code"] == 400
    c.fault(route="*", mode="tg_error", error_code=400, description="Bad Request: chat not found")
    assert api(c, "sendMessage", {"chat_id": CHAT, "text": "x"}).json["description"] == "Bad Request: chat not found"
    assert sent(c) == []


def t_fault_timeouts_and_drops(c):
    path = f"/bot{TOKEN}/sendMessage"
    c.fault(route=path, mode="drop_after_apply")
    expect_no_response(lambda: api(c, "sendMessage", {"chat_id": CHAT, "text": "applied"}))
    c.fault(route=path, mode="delay", seconds=0.8)
    expect_timeout(lambda: api(c, "sendMessage", {"chat_id": CHAT, "text": "slow"}, timeout=0.2))
    time.sleep(0.8)
    assert [m["text"] for m in sent(c)] == ["applied", "slow"]     # duplicates risk: both applied
    c.fault(route=path, mode="drop")
    expect_no_response(lambda: api(c, "sendMessage", {"chat_id": CHAT, "text": "lost"}))
    c.fault(route=path, mode="truncated", apply=True)
    r = api(c, "sendMessage", {"chat_id": CHAT, "text": "cut"})
    expect_invalid_json(r)
    assert [m["text"] for m in sent(c)] == ["applied", "slow", "cut"]


def t_fault_download_dropped(c):
    f = c.ctl("POST", "files", {"kind": "voice", "content": "x" * 1000})
    url = f"/file/bot{TOKEN}/{f['file_path']}"
    c.fault(route="^/file/", mode="cut_body", bytes=100)
    conn = c.raw_conn()
    conn.request("GET", url)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Length") == "1000"
    try:
        resp.read()
        raise AssertionError("expected IncompleteRead")
    except Exception as e:
        assert type(e).__name__ == "IncompleteRead" and len(e.partial) == 100, repr(e)
    conn.close()
    c.fault(route="^/file/", mode="drop")
    expect_no_response(lambda: c.call("GET", url))
    assert c.call("GET", url).raw == b"x" * 1000


if __name__ == "__main__":
    main_for(SCRIPT, ARGS, globals(), NAME)
