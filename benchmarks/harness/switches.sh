#!/usr/bin/env bash
# Context switches and CPU per request on /hello (c=64) for Prefork's default (8 threads per
# worker) and tuned (32 threads per worker) settings and for stock reactor-netty
# (prefork.enabled=false), run alternately: what handing requests to worker threads, and idle
# threads, cost a non-blocking endpoint. Counts come from /proc/<pid>/task/*/status (voluntary +
# involuntary switches of every thread of the server) and /proc/<pid>/stat (utime + stime).
# Needs the sample app jar (mvn -q package -pl sample-app -am) and wrk.
# Usage: benchmarks/harness/switches.sh [reps, default 3] [--close: a new connection per request]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="$ROOT/sample-app/target/prefork-sample-app-0.1.0-SNAPSHOT.jar"
REPS="${1:-3}"
WRK_HEADERS=()
[[ "${2:-}" == "--close" ]] && WRK_HEADERS=(-H "Connection: close")
SERVERS=(default tuned stock)
WORK="$(mktemp -d -t prefork-switches.XXXXXX)"
declare -A PID PORT
cleanup() {
  local name
  for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start() { # name, then Prefork options
  local name=$1; shift
  java -Xmx512m -jar "$JAR" --server.port=0 --server.address=127.0.0.1 "$@" > "$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  local i port
  for i in $(seq 1 120); do
    port=$(grep -oE "(Prefork|Netty) started on port [0-9]+" "$WORK/$name.log" | grep -oE "[0-9]+$" || true)
    if [[ -n "$port" ]]; then PORT[$name]=$port; return; fi
    sleep 0.5
  done
  echo "$name did not start, see its log:" >&2; cat "$WORK/$name.log" >&2; exit 1
}
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s }'; }
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }

start default
start tuned --prefork.threads=32 --prefork.queue-capacity=32
start stock --prefork.enabled=false
ticks_per_s=$(getconf CLK_TCK)
for name in "${SERVERS[@]}"; do  # warm-up: until C2 has compiled the request path
  wrk -t2 -c64 -d30s "${WRK_HEADERS[@]}" "http://127.0.0.1:${PORT[$name]}/hello" > /dev/null
done
for rep in $(seq 1 "$REPS"); do
  for name in "${SERVERS[@]}"; do
    pid=${PID[$name]}
    s0=$(switches "$pid"); c0=$(cpu_ticks "$pid")
    n=$(wrk -t2 -c64 -d8s "${WRK_HEADERS[@]}" "http://127.0.0.1:${PORT[$name]}/hello" | awk '/requests in/ { print $1 }')
    s1=$(switches "$pid"); c1=$(cpu_ticks "$pid")
    awk -v r="$rep" -v name="$name" -v n="$n" -v s=$((s1 - s0)) -v c=$((c1 - c0)) -v hz="$ticks_per_s" \
      'BEGIN { printf "rep %s %-8s %6.0f requests/s  %.2f context switches/request  %3.0f us CPU/request\n", r, name, n / 8, s / n, c / hz / n * 1e6 }'
  done
done
