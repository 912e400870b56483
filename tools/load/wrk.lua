-- wrk script for tools/load/run.sh: one request shape per run, from the environment, and a count of non-2xx answers.
--   LOAD_METHOD (GET or POST), LOAD_BODY (a file holding the JSON body; empty for none).
-- wrk gives each thread its own Lua state, so the count lives per thread and done() sums it through thread:get
-- (wrk's SCRIPTING notes: setup(thread) runs in the main state, response() in the thread's, done() in the main one).
-- wrk itself counts only status > 399 in "Non-2xx or 3xx responses"; this counts every status outside 200–299.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  local body = nil
  local file = os.getenv("LOAD_BODY") or ""
  if file ~= "" then
    local f = assert(io.open(file, "rb"))
    body = f:read("*a")
    f:close()
  end
  local headers = {}
  if body then headers["Content-Type"] = "application/json" end
  request_text = wrk.format(os.getenv("LOAD_METHOD") or "GET", nil, headers, body)
end

function request()
  return request_text
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

-- One machine-readable line for run.sh; latencies in microseconds.
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format("LOAD requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    bad, e.connect + e.read + e.write, e.timeout))
end
