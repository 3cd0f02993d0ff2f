'use strict';
// The Node peer of fcgi-chat2desk for `make bench`: what a JavaScript developer would write for the same webhook.
// node:http in a cluster (one process per core) behind nginx with upstream keepalive; Debian's node-redis (v4),
// whose one connection per process pipelines every command issued in the same tick. It does what the Swift handler
// does on the bench body: token → 401/403, media type → 415, bad JSON → 400, inbox/from_client filter, then the
// same de-duplicate-and-enqueue script with the same keys (from `botctl bench-peer-spec`, never a copy by hand).
// Env: PEER_SPEC (the spec JSON file), PEER_SOCKET (unix socket to listen on), PEER_REDIS_SOCKET, PEER_PROCESSES.
const cluster = require('node:cluster');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const { createClient } = require('redis');

const spec = JSON.parse(fs.readFileSync(process.env.PEER_SPEC, 'utf8'));
const socketPath = process.env.PEER_SOCKET;

if (cluster.isPrimary) {
  try { fs.unlinkSync(socketPath); } catch { /* not there */ }
  const processes = Number(process.env.PEER_PROCESSES || os.availableParallelism());
  for (let i = 0; i < processes; i++) cluster.fork();
  let ready = 0;
  cluster.on('listening', () => { if (++ready === processes) fs.chmodSync(socketPath, 0o666); });
  const stop = () => { for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM'); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  serve().catch((error) => { console.error('node peer:', error); process.exit(1); });
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
function answer(res, status, body) {
  res.writeHead(status, { ...JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
const error = (res, status, code, message) => answer(res, status, JSON.stringify({ error: code, message }));

// A positive integer id from a number or a numeric string (Chat2Desk sends both).
function id(value) {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value);
  return /^[0-9]+$/.test(text) && BigInt(text) > 0n ? BigInt(text).toString() : null;
}
const present = (value) => value !== null && value !== undefined && value !== '' && value !== false;
const scalar = (value) => (value === null || value === undefined ? null : String(value));

async function serve() {
  const redis = createClient({ socket: { path: process.env.PEER_REDIS_SOCKET } });
  redis.on('error', (e) => console.error('node peer redis:', e.message));
  await redis.connect();
  const sha = await redis.scriptLoad(spec.script);
  const secret = Buffer.from(spec.secret);

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') return error(res, 405, 'method_not_allowed', 'use POST');
    const query = req.url.indexOf('?');
    const token = query < 0 ? null : new URLSearchParams(req.url.slice(query + 1)).get('token');
    if (!token) return error(res, 401, 'unauthorized', 'the webhook secret is missing');
    const presented = Buffer.from(token);
    if (presented.length !== secret.length || !crypto.timingSafeEqual(presented, secret)) {
      return error(res, 403, 'forbidden', 'the webhook secret is wrong');
    }
    if ((req.headers['content-type'] || '').split(';')[0].trim().toLowerCase() !== 'application/json') {
      return error(res, 415, 'unsupported_media_type', 'send application/json');
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let payload;
      try { payload = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { payload = undefined; }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
        return error(res, 400, 'bad_request', 'body is not a JSON object of the Chat2Desk webhook shape');
      }
      if (scalar(payload.hook_type) !== null && scalar(payload.hook_type) !== 'inbox') return answer(res, 200, '{"ok":true,"queued":false}');
      if (scalar(payload.type) !== 'from_client') return answer(res, 200, '{"ok":true,"queued":false}');
      const messageID = id(payload.message_id);
      if (!messageID) return error(res, 400, 'bad_request', 'message_id is missing or not numeric');
      const clientID = id(payload.client_id) ?? id(payload.client && payload.client.id);
      if (!clientID) return error(res, 400, 'bad_request', 'client_id is missing or not numeric');
      const hasMedia = ['photo', 'audio', 'pdf', 'coordinates', 'video'].some((k) => present(payload[k]))
        || (Array.isArray(payload.attachments) && payload.attachments.length > 0);
      const message = { message_id: messageID, client_id: clientID, text: scalar(payload.text) ?? '' };
      if (scalar(payload.transport) !== null) message.transport = scalar(payload.transport);
      if (id(payload.channel_id)) message.channel_id = id(payload.channel_id);
      message.has_media = hasMedia;
      message.received_at = Date.now() / 1000;
      const fill = (text) => text.replace('<client_id>', clientID).replace('<message_id>', messageID)
        .replace('<payload>', JSON.stringify(message));
      redis.evalSha(sha, { keys: spec.keys.map(fill), arguments: spec.arguments.map(fill) }).then(
        (queued) => answer(res, 200, queued === 1 ? '{"ok":true,"queued":true}' : '{"ok":true,"queued":false,"duplicate":true}'),
        () => error(res, 503, 'unavailable', 'the queue is unavailable, retry later'));
    });
  });
  server.keepAliveTimeout = 75_000;
  server.listen(socketPath);
  const stop = () => server.close(() => redis.quit().finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
}
