#!/usr/bin/env python3
"""A/B of a streamed body between two builds of the sample app: wrk against GET /rows?count=N
(a Flux of N rows produced as the client takes them), both servers up at once, repetitions
interleaved (the order reversed every other repetition), a warm-up first; with --stock, A on
stock reactor-netty too. Prints and writes (--out) per-repetition rates and CPU per answer, and
the medians' ratios to A. No scenario of benchmarks/run streams a body; this one
measures what a change to the streamed path costs.

    python3 benchmarks/harness/streambench.py --jar A.jar --variant new=B.jar --rows 1000 --reps 4
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import time
import urllib.request

JVM_FLAGS = ["-Xmx512m"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(jar, log_path, options=()):
    port = free_port()
    log = open(log_path, "wb")
    process = subprocess.Popen(["java", *JVM_FLAGS, "-jar", jar, f"--server.port={port}",
                                "--server.address=127.0.0.1", "--management.server.port=-1", *options],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=1).read()
            return process, port
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"{jar} did not answer /hello within 60 s (log: {log_path})")


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wrk(port, rows, seconds, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s",
                          f"http://127.0.0.1:{port}/rows?count={rows}"],
                         capture_output=True, text=True, check=True).stdout
    answers = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return answers, (int(errors.group(1)) if errors else 0), (socket_errors.group(1) if socket_errors else "")


def measure(server, rows, seconds, connections):
    before = cpu_seconds(server["process"].pid)
    answers, non2xx, socket_errors = wrk(server["port"], rows, seconds, connections)
    cpu = cpu_seconds(server["process"].pid) - before
    return {"rate": answers / seconds, "cpu_us_per_answer": 1e6 * cpu / max(answers, 1),
            "non2xx": non2xx, "socket_errors": socket_errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jar", required=True, help="the baseline build (A)")
    parser.add_argument("--variant", required=True, help="name=jar of the build measured against it (B)")
    parser.add_argument("--stock", action="store_true",
                        help="also the baseline jar on stock reactor-netty (--prefork.enabled=false)")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=30, help="seconds of load per server first")
    parser.add_argument("--out", help="directory for streambench.json and the servers' logs")
    args = parser.parse_args()
    name, variant_jar = args.variant.split("=", 1)
    out = args.out or "."
    os.makedirs(out, exist_ok=True)
    servers = {}
    try:
        launches = [("base", args.jar, ()), (name, variant_jar, ())]
        if args.stock:
            launches.append(("stock", args.jar, ("--prefork.enabled=false",)))
        for label, jar, options in launches:
            process, port = start(jar, os.path.join(out, f"{label}.log"), options)
            servers[label] = {"process": process, "port": port, "runs": []}
        for label, server in servers.items():
            measure(server, args.rows, args.warmup, args.connections)
        labels = list(servers)
        for rep in range(args.reps):
            order = labels if rep % 2 == 0 else labels[::-1]
            for label in order:
                run = measure(servers[label], args.rows, args.seconds, args.connections)
                servers[label]["runs"].append(run)
                print(f"rep {rep + 1} {label}: {run['rate']:.0f}/s, {run['cpu_us_per_answer']:.0f} us CPU per answer,"
                      f" non-2xx {run['non2xx']} {run['socket_errors']}", flush=True)
    finally:
        for server in servers.values():
            stop(server["process"])
    medians = {label: {key: statistics.median(run[key] for run in server["runs"])
                       for key in ("rate", "cpu_us_per_answer")} for label, server in servers.items()}
    ratios = {}
    for label in servers:
        if label != "base":
            ratios[label] = {key: medians[label][key] / medians["base"][key] for key in ("rate", "cpu_us_per_answer")}
            print(f"median {label} / base: rate {ratios[label]['rate']:.2f}x,"
                  f" CPU per answer {ratios[label]['cpu_us_per_answer']:.2f}x")
    with open(os.path.join(out, "streambench.json"), "w") as f:
        json.dump({"rows": args.rows, "connections": args.connections, "seconds": args.seconds,
                   "runs": {label: server["runs"] for label, server in servers.items()},
                   "medians": medians, "ratios_to_base": ratios}, f, indent=2)


if __name__ == "__main__":
    main()
