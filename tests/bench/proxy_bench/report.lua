-- wrk script for proxy_bench.sh: prints one machine-readable line at the end of a run.
-- Only done() is defined, so wrk's fast path for building requests is untouched.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.2f p50_us=%d p99_us=%d requests=%d bytes=%d duration_us=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.requests, summary.bytes, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout))
end
