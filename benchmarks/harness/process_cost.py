#!/usr/bin/env python3
"""What a worker JVM of process mode costs: CPU until it is ready and its private memory.

Starts the sample app in process mode (an arbiter and N worker JVMs) with a set of JVM flags,
waits until the arbiter listens (every worker ready), then reads from /proc, for each worker JVM,
the CPU it used (utime + stime) and its private memory and PSS (smaps_rollup), and the arbiter's
RSS; stops it with SIGTERM. Run each set of flags a few times, interleaved, and report medians.

  benchmarks/harness/process_cost.py [--workers 2] [--reps 3] [--out DIR] [--sets A,B]
                                     [--variant NAME="JVM OPTIONS" ...]

Flag sets: "default" (the fat jar, -Xmx512m as bench.py), "recipe" (the jar extracted with
Boot's tools jar mode, an AppCDS archive trained with -Dspring.context.exit=onRefresh,
-XX:SharedArchiveFile, -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0, -Xmx256m,
-XX:TieredStopAtLevel=1, by hand) and "cds-directory" (the fat jar with -Xmx256m
-XX:TieredStopAtLevel=1 and prefork.process.cds-directory: the arbiter does the recipe's extraction
and training itself, before the first repetition is measured). A variant is the "cds-directory"
set with more JVM options (which the worker JVMs inherit), measured in the same repetitions.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLE_JAR = os.path.join(ROOT, "sample-app/target/prefork-sample-app-0.1.0-SNAPSHOT.jar")
CLK_TCK = os.sysconf("SC_CLK_TCK")
LISTENING = re.compile(r"Prefork arbiter listening on port (\d+) \(http\) at")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def smaps(pid):
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1])
    return {"private_mb": (values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)) / 1024,
            "pss_mb": values.get("Pss", 0) / 1024, "rss_mb": values.get("Rss", 0) / 1024}


def children(pid):
    """The processes whose parent is pid (every thread's children, unlike /proc/pid/task/pid/children)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_recipe(directory):
    """Extracts the jar and trains an AppCDS archive on one start of the application."""
    extracted = os.path.join(directory, "app")
    subprocess.run(["java", "-Djarmode=tools", "-jar", SAMPLE_JAR, "extract", "--destination", extracted],
                   check=True, stdout=subprocess.DEVNULL)
    jar = os.path.join(extracted, os.path.basename(SAMPLE_JAR))
    archive = os.path.join(directory, "app.jsa")
    subprocess.run(["java", f"-XX:ArchiveClassesAtExit={archive}", "-Dspring.context.exit=onRefresh", "-jar", jar,
                    "--server.port=0", "--management.server.port=-1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ["-XX:SharedArchiveFile=" + archive, "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0", "-Xmx256m",
            "-XX:TieredStopAtLevel=1", "-jar", jar]


def measure(java_args, workers, log_dir, label, rep):
    port = free_port()
    log = os.path.join(log_dir, f"{label}-{rep}.log")
    command = ["java", *java_args, f"--server.port={port}", "--server.address=127.0.0.1",
               "--management.server.port=-1", "--prefork.mode=processes", f"--prefork.workers={workers}"]
    began = time.monotonic()
    with open(log, "w") as out:
        arbiter = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            if arbiter.poll() is not None:
                raise RuntimeError(f"arbiter exited with {arbiter.returncode}, see {log}")
            with open(log) as text:
                if LISTENING.search(text.read()):
                    break
            if time.monotonic() - began > 180:
                raise RuntimeError(f"not listening after 180 s, see {log}")
            time.sleep(0.1)
        ready_s = time.monotonic() - began
        time.sleep(1)
        workers_pids = children(arbiter.pid)
        result = {"label": label, "rep": rep, "ready_s": round(ready_s, 2),
                  "arbiter": {"cpu_s": round(cpu_seconds(arbiter.pid), 2), **smaps(arbiter.pid)},
                  "workers": [{"cpu_s": round(cpu_seconds(pid), 2), **smaps(pid)} for pid in workers_pids]}
        return result
    finally:
        arbiter.send_signal(signal.SIGTERM)
        try:
            arbiter.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(arbiter.pid, signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks/results/process-cost"))
    parser.add_argument("--sets", default="default,recipe,cds-directory", help="which flag sets to measure")
    parser.add_argument("--variant", action="append", default=[], metavar='NAME="JVM OPTIONS"',
                        help="also measure cds-directory with these JVM options")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="prefork-cost-") as directory:
        cache = os.path.join(directory, "cds")
        chosen = args.sets.split(",")
        cds = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", SAMPLE_JAR, f"--prefork.process.cds-directory={cache}"]
        flag_sets = {"default": ["-Xmx512m", "-jar", SAMPLE_JAR]} if "default" in chosen else {}
        if "recipe" in chosen:
            flag_sets["recipe"] = prepare_recipe(directory)
        flag_sets["cds-directory"] = cds  # its build happens first in any case
        for variant in args.variant:
            name, options = variant.split("=", 1)
            flag_sets[name] = options.split() + cds
        # The cache's build, once, before anything is measured (as an operator's first start).
        measure(flag_sets["cds-directory"], args.workers, args.out, "cds-directory-build", 0)
        for variant in args.variant:  # other JVM options, another build of the cache
            name = variant.split("=", 1)[0]
            measure(flag_sets[name], args.workers, args.out, name + "-build", 0)
        results = []
        for rep in range(1, args.reps + 1):
            for label, java_args in flag_sets.items():
                result = measure(java_args, args.workers, args.out, label, rep)
                results.append(result)
                print(json.dumps(result), flush=True)
    summary = {}
    for label in flag_sets:
        runs = [r for r in results if r["label"] == label]
        workers = [w for r in runs for w in r["workers"]]
        summary[label] = {
            "worker_cpu_s_to_ready": statistics.median(w["cpu_s"] for w in workers),
            "worker_private_mb": round(statistics.median(w["private_mb"] for w in workers), 1),
            "worker_pss_mb": round(statistics.median(w["pss_mb"] for w in workers), 1),
            "arbiter_rss_mb": round(statistics.median(r["arbiter"]["rss_mb"] for r in runs), 1),
            "arbiter_private_mb": round(statistics.median(r["arbiter"]["private_mb"] for r in runs), 1),
            "ready_s": statistics.median(r["ready_s"] for r in runs),
        }
    with open(os.path.join(args.out, "process-cost.json"), "w") as out:
        json.dump({"command": " ".join(sys.argv), "workers": args.workers, "runs": results, "summary": summary}, out,
                  indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
