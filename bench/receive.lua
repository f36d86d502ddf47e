-- wrk script for bench/scan_to_commit.py: one receiveStock mutation per request.
--
-- Configured through the environment (wrk passes no other way into every thread):
--   BENCH_TOKEN   the bearer token to send
--   BENCH_PAIRS   "SKU@BIN,SKU@BIN,..." spread round-robin over the requests
--   BENCH_RUN     a prefix that makes this run's idempotency keys unique
--   BENCH_DELAY_MS  optional think time per connection (mean, uniform +-50%) for a paced run
-- Every request gets a fresh idempotency key: <run>-<thread>-<counter>.
-- Responses that are not a successful receive are counted, and the first one is kept to show.

local token = os.getenv("BENCH_TOKEN") or ""
local run = os.getenv("BENCH_RUN") or "run"
local pairs_env = os.getenv("BENCH_PAIRS") or "TSHIRT-RED-M@WH1-A-01"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0

local query = "mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { moves { id } errors { code } } }"

local pairs_list = {}
for pair in string.gmatch(pairs_env, "[^,]+") do
   local sku, bin = string.match(pair, "^(.-)@(.+)$")
   pairs_list[#pairs_list + 1] = { sku, bin }
end

local threads = {}
local thread_no = 0

function setup(thread)
   thread_no = thread_no + 1
   thread:set("tid", thread_no)
   threads[#threads + 1] = thread
end

local counter = 0
bad = 0
first_bad = ""

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. token
   math.randomseed(tid * 7919 + os.time())
end

if delay_ms > 0 then
   function delay()
      return math.floor(delay_ms * (0.5 + math.random()))
   end
end

function request()
   counter = counter + 1
   local pair = pairs_list[((counter + tid) % #pairs_list) + 1]
   local body = string.format(
      '{"query":"%s","variables":{"i":{"sku":"%s","locationCode":"%s","quantity":"1","idempotencyKey":"%s-%d-%d"}}}',
      query, pair[1], pair[2], run, tid, counter)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 or not string.find(body, '"moves":[{"id"', 1, true)
      or not string.find(body, '"errors":[]', 1, true) or string.find(body, '"errors":[{', 1, true) then
      bad = bad + 1
      if first_bad == "" then
         first_bad = tostring(status) .. " " .. string.sub(body, 1, 300)
      end
   end
end

function done(summary, latency, requests)
   local total_bad = 0
   local sample = ""
   for _, thread in ipairs(threads) do
      total_bad = total_bad + (thread:get("bad") or 0)
      local s = thread:get("first_bad")
      if sample == "" and s and s ~= "" then
         sample = s
      end
   end
   io.write(string.format("BENCH bad_responses=%d\n", total_bad))
   if sample ~= "" then
      io.write("BENCH first_bad=" .. sample .. "\n")
   end
end
