-- wrk script for stress/bench_henvs.sh: GET / with the Host header rotating round-robin over
-- HENVS henvs named h0.bench.test .. h<HENVS-1>.bench.test (each wrk thread starts at its own
-- offset), and a one-line machine-readable summary at the end.
local n = tonumber(os.getenv("HENVS") or "1000")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = (id or 0) * 7919
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/", { Host = "h" .. (counter % n) .. ".bench.test" })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
