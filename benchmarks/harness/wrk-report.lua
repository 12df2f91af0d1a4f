-- wrk script: counts responses by status (per thread, summed in done) and prints one JSON line
-- with the run's summary and latency percentiles, all in microseconds.
--
-- wrk gives no per-response latency to Lua, so the latencies of the non-2xx responses (Prefork's
-- 503s) and of the 2xx ones are derived from the one histogram, using a floor that every 2xx
-- response is above: the sleep of /work?ms=N (WRK_SPLIT_US, set by the harness). Samples below
-- the floor ("below") are all non-2xx. If every non-2xx answer is below it, the non-2xx are the
-- fastest n_other samples and the 2xx the rest, exactly. If some non-2xx answers were slower
-- (other - below of them), they hide among the 2xx samples: a 2xx percentile then lies between
-- the value at rank below + q * n_ok ("lo") and at rank n_other + q * n_ok ("hi"), and a non-2xx
-- percentile q is still exact as long as q * n_other <= below.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function pct(latency, p)
  if p < 0 then p = 0 end
  if p > 100 then p = 100 end
  return latency:percentile(p)
end

function done(summary, latency, requests)
  local counts, ok, other = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
      if status >= 200 and status < 300 then ok = ok + n else other = other + n end
    end
  end
  local parts = {}
  local function add(key, value) table.insert(parts, string.format('"%s":%s', key, value)) end
  add("requests", summary.requests)
  add("duration_us", summary.duration)
  add("bytes", summary.bytes)
  add("errors", string.format('{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
  local status_parts = {}
  for status, n in pairs(counts) do table.insert(status_parts, string.format('"%d":%d', status, n)) end
  add("statuses", "{" .. table.concat(status_parts, ",") .. "}")
  add("lat", string.format('{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}',
    latency.mean, pct(latency, 50), pct(latency, 90), pct(latency, 99), pct(latency, 99.9), latency.max))
  local n = ok + other
  local floor = tonumber(os.getenv("WRK_SPLIT_US") or "")
  if floor and ok > 0 and other > 0 then
    local function at(rank) -- the sample of that rank (1-based), in the histogram's order
      if rank < 1 then rank = 1 end
      if rank > n then rank = n end
      return latency:percentile(100.0 * (rank - 0.5) / n)
    end
    local lo, hi = 0, n -- binary search: below = samples faster than the floor
    while lo < hi do
      local mid = math.floor((lo + hi + 1) / 2)
      if at(mid) < floor then lo = mid else hi = mid - 1 end
    end
    local below = lo
    add("split", string.format(
      '{"floor_us":%d,"below":%d,"other_p50":%d,"other_p99":%d,"ok_p50_lo":%d,"ok_p50_hi":%d,"ok_p99_lo":%d,"ok_p99_hi":%d}',
      floor, below, at(math.ceil(0.50 * other)), at(math.ceil(0.99 * other)),
      at(below + math.ceil(0.50 * ok)), at(other + math.ceil(0.50 * ok)),
      at(below + math.ceil(0.99 * ok)), at(other + math.ceil(0.99 * ok))))
  end
  io.write("WRK_JSON {" .. table.concat(parts, ",") .. "}\n")
end
