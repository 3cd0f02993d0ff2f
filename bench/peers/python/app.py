"""The Python peer of fcgi-chat2desk for `make bench`: what a Python developer would write for the same webhook.

uvicorn (uvloop, httptools), one worker per core, behind nginx with upstream keepalive; starlette; redis-py's asyncio
client with the hiredis parser. It does what the Swift handler does on the bench body: token → 401/403, media type →
415, bad JSON → 400, inbox/from_client filter, then the same de-duplicate-and-enqueue script with the same keys (from
`botctl bench-peer-spec`, never a copy by hand). Env: PEER_SPEC (the spec JSON file), PEER_REDIS_SOCKET.
"""

import contextlib
import hmac
import json
import os
import re
import time

import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

SPEC = json.load(open(os.environ["PEER_SPEC"], encoding="utf-8"))
SECRET = SPEC["secret"].encode()
NUMERIC = re.compile(r"[0-9]+")
state = {}


def answer(status, body):
    return Response(body, status_code=status, media_type="application/json")


def error(status, code, message):
    return answer(status, json.dumps({"error": code, "message": message}))


def scalar(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def ident(value):
    """A positive integer id from a number or a numeric string (Chat2Desk sends both)."""
    text = scalar(value)
    if not text or not NUMERIC.fullmatch(text) or int(text) <= 0:
        return None
    return str(int(text))


async def webhook(request):
    token = request.query_params.get("token")
    if not token:
        return error(401, "unauthorized", "the webhook secret is missing")
    if not hmac.compare_digest(token.encode(), SECRET):
        return error(403, "forbidden", "the webhook secret is wrong")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return error(415, "unsupported_media_type", "send application/json")
    try:
        payload = json.loads(await request.body())
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return error(400, "bad_request", "body is not a JSON object of the Chat2Desk webhook shape")
    if scalar(payload.get("hook_type")) not in (None, "inbox") or scalar(payload.get("type")) != "from_client":
        return answer(200, '{"ok":true,"queued":false}')
    message_id = ident(payload.get("message_id"))
    if not message_id:
        return error(400, "bad_request", "message_id is missing or not numeric")
    client = payload.get("client")
    client_id = ident(payload.get("client_id")) or (ident(client.get("id")) if isinstance(client, dict) else None)
    if not client_id:
        return error(400, "bad_request", "client_id is missing or not numeric")
    attachments = payload.get("attachments")
    has_media = any(scalar(payload.get(k)) for k in ("photo", "audio", "pdf", "coordinates", "video")) or (
        isinstance(attachments, list) and len(attachments) > 0)
    message = {"message_id": message_id, "client_id": client_id, "text": scalar(payload.get("text")) or ""}
    if scalar(payload.get("transport")) is not None:
        message["transport"] = scalar(payload.get("transport"))
    if ident(payload.get("channel_id")):
        message["channel_id"] = ident(payload.get("channel_id"))
    message["has_media"] = has_media
    message["received_at"] = time.time()
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))

    def fill(template):
        return template.replace("<client_id>", client_id).replace("<message_id>", message_id).replace("<payload>", text)

    keys = [fill(k) for k in SPEC["keys"]]
    try:
        queued = await state["redis"].evalsha(state["sha"], len(keys), *keys, *[fill(a) for a in SPEC["arguments"]])
    except aioredis.RedisError:
        return error(503, "unavailable", "the queue is unavailable, retry later")
    return answer(200, '{"ok":true,"queued":true}' if queued == 1 else '{"ok":true,"queued":false,"duplicate":true}')


@contextlib.asynccontextmanager
async def lifespan(_app):
    state["redis"] = aioredis.Redis(unix_socket_path=os.environ["PEER_REDIS_SOCKET"])
    state["sha"] = await state["redis"].script_load(SPEC["script"])
    yield
    await state["redis"].aclose()


app = Starlette(routes=[Route("/webhook/chat2desk", webhook, methods=["POST"])], lifespan=lifespan)
