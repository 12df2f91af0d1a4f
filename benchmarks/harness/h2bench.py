#!/usr/bin/env python3
"""HTTP/2 cleartext (h2c) against Prefork and stock reactor-netty, with h2load (Debian's nghttp2-client).

Both servers are the sample app with server.http2.enabled=true: "prefork" with Prefork's
defaults, "stock" with prefork.enabled=false and boundedElastic sized to 16 threads, as in
bench.py. Each repetition starts both, warms each up until its JIT settles, then runs every
scenario on both back to back (the server order rotating between repetitions), and reads from /proc the CPU time, the
context switches and the write system calls of the server's threads over the run. Medians over
repetitions, ratios per repetition. On a noisy machine the rates move with the neighbours; the
switches and writes per request do not.

  benchmarks/harness/h2bench.py [--reps 3] [--seconds 10] [--out DIR] [--scenarios A,B]
                                [--variant NAME=JAR ...] [--tls]

With --tls every server serves h2 over TLS (ALPN) with a self-signed certificate made by keytool
in the output directory, and the scenarios are named h2-tls-* instead of h2c-*.

A variant is Prefork (its defaults) on another build of the sample app, measured in the same
repetitions, so that a change is judged against its parent and against stock in one run.

Scenarios: "h2c-hello-16x4" (16 connections x 4 concurrent streams, /hello) and
"h2c-hello-16x10" (16 x 10 = 160 concurrent streams, more than the 144 requests the sample app
admits at once with 2 workers x (8 threads + 64 queue)). The overload scenarios offer 4 x that
admission of /work?ms=100 (576 streams, 160 answers/s of capacity), as bench.py's HTTP/1.1
"overload" does: "h2c-overload-16x36" on 16 connections, whose clients keep within the streams
the server allows each connection (SETTINGS_MAX_CONCURRENT_STREAMS) and so queue the rest
themselves, and "h2c-overload-576x1", 576 connections of one stream each, more than the workers
admit, where the surplus is answered 503. Their latency percentiles come from h2load's per-request
log (--log-file), apart for 2xx and 503 answers.
"""
import argparse
import glob
import json
import os
import re
import ssl
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

from bench import jvm_jit_cpu_seconds
from process_cost import cpu_seconds, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLE_JAR = os.path.join(ROOT, "sample-app/target/prefork-sample-app-0.1.0-SNAPSHOT.jar")
COMMON = ["--server.address=127.0.0.1", "--management.server.port=-1", "--server.http2.enabled=true"]
SERVERS = {
    "prefork": ["java", "-Xmx512m", "-jar", "{jar}", "--server.port={port}", *COMMON],
    "stock": ["java", "-Xmx512m", "-Dreactor.schedulers.defaultBoundedElasticSize=16", "-jar", "{jar}",
              "--server.port={port}", "--prefork.enabled=false", *COMMON],
}
WARMUP_MAX_S = 180
UNVERIFIED = ssl._create_unverified_context()  # the benchmark's own self-signed certificate
SCENARIOS = {"h2c-hello-16x4": (16, 4, "/hello"), "h2c-hello-16x10": (16, 10, "/hello"),
             "h2c-overload-16x36": (16, 36, "/work?ms=100"), "h2c-overload-576x1": (576, 1, "/work?ms=100")}


def context_switches(pid):
    """Voluntary and involuntary switches of every thread of the process so far."""
    total = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as text:
                for line in text:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return total


def write_calls(pid):
    """Write system calls (write, writev, sendmsg...) the process has made so far: one per flush."""
    with open(f"/proc/{pid}/io") as io:
        for line in io:
            if line.startswith("syscw:"):
                return int(line.split()[1])
    return 0


def keystore(directory):
    """A self-signed certificate for 127.0.0.1 in a PKCS#12 keystore, and the server options for it."""
    path = os.path.join(directory, "h2bench.p12")
    if not os.path.exists(path):
        subprocess.run(["keytool", "-genkeypair", "-alias", "bench", "-keyalg", "EC", "-groupname", "secp256r1",
                        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "30",
                        "-storetype", "PKCS12", "-keystore", path, "-storepass", "h2bench"],
                       check=True, capture_output=True)
    return ["--server.ssl.enabled=true", f"--server.ssl.key-store={path}", "--server.ssl.key-store-password=h2bench",
            "--server.ssl.key-store-type=PKCS12"]


def start(name, jar, log_dir, rep, tls):
    port = free_port()
    command = [part.format(jar=jar, port=port) for part in SERVERS[name.split("@")[0]]]
    if tls:
        command += keystore(log_dir)
    log = open(os.path.join(log_dir, f"{name}-rep{rep}.log"), "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    began = time.monotonic()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited during startup, see {log.name}")
        try:
            with urllib.request.urlopen(f"{scheme(tls)}://127.0.0.1:{port}/hello", timeout=1,
                                        context=UNVERIFIED if tls else None) as answer:
                if answer.status == 200:
                    return process, port
        except OSError:
            pass
        if time.monotonic() - began > 120:
            raise RuntimeError(f"{name} did not answer within 120 s")
        time.sleep(0.1)


def warm_up(name, process, port, least_seconds, tls):
    """Loads the server in 5 s rounds, for at least least_seconds, until its JIT compiler threads
    use under 3% of its CPU in a round (at most WARMUP_MAX_S): both servers still compile at 30 s
    of h2load on two shared cores, and Prefork's h2c rate still climbed from 38k to 52k/s between
    30 and 40 s, so a fixed warm-up measured the compiler (2026-12-02, analysis.md)."""
    began = time.monotonic()
    while True:
        cpu_before, jit_before = cpu_seconds(process.pid), jvm_jit_cpu_seconds(process.pid)
        h2load(port, 16, 4, 5, tls)
        elapsed = time.monotonic() - began
        cpu = cpu_seconds(process.pid) - cpu_before
        share = (jvm_jit_cpu_seconds(process.pid) - jit_before) / cpu if cpu else 0
        if (elapsed >= least_seconds and share < 0.03) or elapsed > WARMUP_MAX_S:
            break
    print(f"{name}: warmed up in {elapsed:.0f} s (JIT {share * 100:.1f}% of its CPU in the last round)",
          file=sys.stderr, flush=True)
    return {"server": name, "seconds": round(elapsed), "last_round_jit_share": round(share, 3)}


def scheme(tls):
    return "https" if tls else "http"


def h2load(port, connections, streams, seconds, tls, path="/hello", log_file=None):
    command = ["h2load", "-c", str(connections), "-m", str(streams), "-D", str(seconds),
               f"{scheme(tls)}://127.0.0.1:{port}{path}"]
    if log_file:
        command.insert(1, f"--log-file={log_file}")
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    finished = re.search(r"finished in ([0-9.]+)s, ([0-9.]+) req/s", output)
    requests = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                         r"(\d+) errored, (\d+) timeout", output)
    statuses = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", output)
    if not (finished and requests and statuses):
        raise RuntimeError("h2load printed no result:\n" + output)
    return {"command": " ".join(command), "seconds": float(finished.group(1)), "rps": float(finished.group(2)),
            "done": int(requests.group(2)), "succeeded": int(requests.group(3)), "failed": int(requests.group(4)),
            "errored": int(requests.group(5)), "timeout": int(requests.group(6)),
            "2xx": int(statuses.group(1)), "5xx": int(statuses.group(4)),
            "mean_request_time": mean.group(1) if mean else None, **percentiles(log_file)}


def percentiles(log_file):
    """p50 and p99 (ms) of 2xx and of 503 answers, from h2load's log: start (µs), status, duration (µs)."""
    if not log_file:
        return {}
    durations = {"2xx": [], "503": []}
    with open(log_file) as log:
        for line in log:
            fields = line.split()
            if len(fields) >= 3:
                status = int(fields[1])
                key = "2xx" if 200 <= status < 300 else "503" if status == 503 else None
                if key:
                    durations[key].append(int(fields[2]) / 1000)
    result = {}
    for key, values in durations.items():
        values.sort()
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            result[f"{name}_{key}_ms"] = round(values[min(len(values) - 1, int(fraction * len(values)))], 1) \
                if values else None
    return result


def measure(pid, port, connections, streams, path, seconds, tls, log_file):
    cpu, switches, writes = cpu_seconds(pid), context_switches(pid), write_calls(pid)
    result = h2load(port, connections, streams, seconds, tls, path, log_file)
    result["2xx_per_s"] = round(result["2xx"] / result["seconds"], 1)
    result["cpu_s"] = round(cpu_seconds(pid) - cpu, 3)
    result["switches"] = context_switches(pid) - switches
    result["writes"] = write_calls(pid) - writes
    served = max(1, result["2xx"])
    result["cpu_us_per_2xx"] = round(result["cpu_s"] * 1e6 / served, 1)
    result["switches_per_2xx"] = round(result["switches"] / served, 3)
    result["writes_per_2xx"] = round(result["writes"] / served, 3)
    return result


def named(scenario, tls):
    return scenario.replace("h2c-", "h2-tls-") if tls else scenario


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=30,
                        help="least seconds of h2load per server before measuring (then more, until its JIT settles)")
    parser.add_argument("--jar", default=SAMPLE_JAR)
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks/results/h2"))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--tls", action="store_true", help="h2 over TLS instead of h2c")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=JAR",
                        help="also measure Prefork on this jar, as prefork@NAME")
    args = parser.parse_args()
    scenarios = {name: SCENARIOS[name] for name in args.scenarios.split(",")}
    jars = {name: args.jar for name in SERVERS}
    for variant in args.variant:
        name, jar = variant.split("=", 1)
        jars["prefork@" + name] = jar
    if shutil.which("h2load") is None:
        sys.exit("h2load is missing: apt-get install nghttp2-client")
    os.makedirs(args.out, exist_ok=True)
    runs, warmups = [], []
    load_before = open("/proc/loadavg").read().split()[:3]
    for rep in range(1, args.reps + 1):
        order = list(jars) if rep % 2 else list(reversed(jars))
        live = {}
        try:
            for name in order:
                live[name] = start(name, jars[name], args.out, rep, args.tls)
            for name in order:
                warmups.append(dict(warm_up(name, *live[name], args.warmup, args.tls), rep=rep))
            for scenario, (connections, streams, path) in scenarios.items():
                for name in order:
                    process, port = live[name]
                    log_file = os.path.join(args.out, f"{name}-{named(scenario, args.tls)}-rep{rep}.h2load.tsv")
                    result = measure(process.pid, port, connections, streams, path, args.seconds, args.tls, log_file)
                    os.remove(log_file)  # large; its percentiles are in the result
                    result.update(server=name, scenario=named(scenario, args.tls), rep=rep)
                    runs.append(result)
                    print(json.dumps(result), flush=True)
        finally:
            for process, _ in live.values():
                stop(process)
    summary = {}
    for scenario in (named(scenario, args.tls) for scenario in scenarios):
        row = {}
        for name in jars:
            mine = [r for r in runs if r["server"] == name and r["scenario"] == scenario]
            row[name] = {key: statistics.median(r[key] for r in mine)
                         for key in ("rps", "2xx_per_s", "cpu_us_per_2xx", "switches_per_2xx", "writes_per_2xx",
                                     "5xx", "failed", "errored", "p50_2xx_ms", "p99_2xx_ms", "p99_503_ms")
                         if all(r.get(key) is not None for r in mine)}
        stock = [r for r in runs if r["server"] == "stock" and r["scenario"] == scenario]
        for name in jars:
            if name == "stock":
                continue
            ratios = [p["2xx_per_s"] / s["2xx_per_s"] for p, s in zip(
                [r for r in runs if r["server"] == name and r["scenario"] == scenario], stock)]
            key = "" if name == "prefork" else "_" + name.split("@")[1]
            row[f"prefork{key}_over_stock_rps"] = [round(r, 3) for r in ratios]
            row[f"median_ratio{key}"] = round(statistics.median(ratios), 3)
        summary[scenario] = row
    with open(os.path.join(args.out, "h2bench.json"), "w") as out:
        json.dump({"command": " ".join(sys.argv), "load_before": load_before, "warmups": warmups, "runs": runs,
                   "summary": summary},
                  out, indent=1)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
