-- wrk script for CareKey's benchmark (bench/run.py runs it; see bench/RESULTS.md).
--
--   wrk -t1 -cC -dD -s bench/pool.lua URL -- POOL.tsv MODE REPEATS
--
-- POOL.tsv, one request a line, tab-separated (written by bench/dbtool.py prepare):
--   method, path, Cookie header, X-CSRFToken, body, first TOTP step, codes
-- A body may hold "{code}": it becomes the code of the current 30 s step, taken from the
-- line's precomputed codes, so a right code is right when it is sent.
--
-- MODE "cycle": lines are reused round-robin until the duration ends (GET calls).
-- MODE "spread": line k mod N, REPEATS passes in all, then the thread stops. Consecutive
-- requests of one line are N requests apart (five wrong codes per patient stay under
-- the throttle; ten enrollments per patient stay under the cap of ten factors).
-- MODE "once": "spread" with one pass: each line (a fresh factor or session) used once.
--
-- done() prints one line "BENCH_JSON {...}" with the counts, latencies and statuses.
-- wrk's own duration is always the whole -d, even when a pool ends sooner, so the script
-- also times the span from its first request to its last answer ("active_us").

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local items = {}
local mode = "cycle"
local limit = 0
issued = 0
statuses = {}
first_us = 0
last_us = 0

local function split(line, sep)
  local fields = {}
  local start = 1
  while true do
    local i = string.find(line, sep, start, true)
    if not i then
      table.insert(fields, string.sub(line, start))
      return fields
    end
    table.insert(fields, string.sub(line, start, i - 1))
    start = i + 1
  end
end

function init(args)
  local path = args[1]
  mode = args[2] or "cycle"
  local repeats = tonumber(args[3] or "1")
  for line in io.lines(path) do
    if line ~= "" then
      local f = split(line, "\t")
      local headers = { ["Cookie"] = f[3], ["User-Agent"] = "CareKey-bench/1 (wrk)" }
      if f[4] ~= "" then headers["X-CSRFToken"] = f[4] end
      local body = nil
      if f[5] ~= "" then
        body = f[5]
        if string.sub(body, 1, 1) == "{" then
          headers["Content-Type"] = "application/json"
        else
          headers["Content-Type"] = "application/x-www-form-urlencoded"
        end
      end
      local item = { method = f[1], path = f[2], headers = headers, body = body,
                     step0 = tonumber(f[6]), codes = split(f[7] or "", ",") }
      if body == nil or not string.find(body, "{code}", 1, true) then
        item.request = wrk.format(item.method, item.path, headers, body)
      end
      table.insert(items, item)
    end
  end
  if mode == "once" then repeats = 1 end
  limit = #items * repeats
end

function request()
  if issued == 0 then first_us = now_us() end
  issued = issued + 1
  local k = issued
  if mode ~= "cycle" then
    if k >= limit then
      wrk.thread:stop()
      if k > limit then k = limit end
    end
  end
  local item = items[(k - 1) % #items + 1]
  if item.request then return item.request end
  local step = math.floor(os.time() / 30)
  local code = item.codes[step - item.step0 + 1] or "000000"
  local body = string.gsub(item.body, "{code}", code)
  return wrk.format(item.method, item.path, item.headers, body)
end

function response(status, headers, body)
  last_us = now_us()
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local merged = {}
  local sent = 0
  local active = 0
  for _, t in ipairs(threads) do
    sent = sent + (t:get("issued") or 0)
    active = math.max(active, (t:get("last_us") or 0) - (t:get("first_us") or 0))
    for code, n in pairs(t:get("statuses") or {}) do
      merged[code] = (merged[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "active_us": %d, "bytes": %d, ' ..
    '"sent": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, active, summary.bytes, sent,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
