-- wrk: realistic Chat2Desk inbox bodies, unique message ids per request, 1000 distinct clients.
local counter = 0
local thread_id = 0
function setup(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
-- `prefix` (set like `secret` by bench/run.sh) routes to a peer or variant: /node, /python, /keepconn, /groupcommit.
-- An optional argument (wrk ... -- OFFSET) shifts the message ids, so a second run in the same stack is not
-- de-duplicated away.
function init(args) counter = tid * 100000000 + (tonumber(args[1]) or 0) end
request = function()
  counter = counter + 1
  local body = string.format('{"hook_type":"inbox","message_id":%d,"type":"from_client","text":"ул. Киевская 95, кв 3","transport":"whatsapp","client_id":%d,"channel_id":777,"operator_id":null,"dialog_id":null,"request_id":88002,"photo":null,"coordinates":null,"audio":null,"pdf":null,"attachments":[],"client":{"id":%d,"phone":"996555123456","client_phone":"996555123456","name":"Asel","assigned_name":null,"external_id":null},"is_new_client":false,"is_new_request":true,"extra_data":{},"event_time":"2026-01-15T09:30:00Z"}', counter, 5000000 + counter % 1000, 5000000 + counter % 1000)
  return wrk.format("POST", (prefix or "") .. "/webhook/chat2desk?token=" .. secret, {["Content-Type"] = "application/json"}, body)
end
