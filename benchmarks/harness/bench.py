#!/usr/bin/env python3
"""Runs Prefork and the servers a user would pick instead, interleaved, and writes RESULTS.md.

Each repetition starts every server on a free loopback port (measuring startup time and idle
RSS), warms each up, then runs each scenario on every server in turn (A B C D, then the next
scenario, ...; the order rotates between repetitions), and stops them all. Only one server is
under load at a time, and the runs that a ratio compares are seconds apart, not minutes: this
machine's load from other work changes by the minute. Server CPU comes from /proc/<pid>/stat (utime + stime of the whole process tree),
RSS from /proc/<pid>/status (VmRSS, summed over the tree, sampled during each run).

Started by ../run, which builds the jars and installs wrk, gunicorn and gnuplot first.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field

import report

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
SAMPLE_JAR = os.path.join(ROOT, "sample-app/target/prefork-sample-app-0.1.0-SNAPSHOT.jar")
TOMCAT_JAR = os.path.join(BENCH, "tomcat-app/target/prefork-benchmarks-tomcat-app-0.1.0-SNAPSHOT.jar")
JMH_JAR = os.path.join(BENCH, "jmh/target/benchmarks.jar")
WRK_SCRIPT = os.path.join(HERE, "wrk-report.lua")
GUNICORN = "/usr/bin/gunicorn"  # Debian's package; runs on Debian's /usr/bin/python3
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The same heap limit for every JVM, so that RSS is compared like for like.
JVM_FLAGS = ["-Xmx512m"]

# /cpu?n= for about 0.2 ms of CPU per request: the Java loop runs ~1 ns per iteration on this
# machine, CPython ~100x slower (calibrated with the CPU per request of /cpu minus /hello).
CPU_N_JAVA = 150_000
CPU_N_PYTHON = 1_500


@dataclass
class Server:
    name: str
    label: str
    threads: int  # threads that run application code: the blocking capacity
    capacity: str  # what it admits at once, in words, for the report
    command: list  # with {port} and {jar} placeholders
    cpu_n: int
    jar: str = None
    note: str = ""


# The sample app's actuator is off in benchmark runs (it would be a second server on the fixed
# management port 8081, and no contender has one): every sample-app server gets this.
NO_ACTUATOR = "--management.server.port=-1"

SERVERS = [
    Server("prefork", "Prefork (default)", 16, "2 workers x 8 threads + queue 2 x 64",
           ["java", *JVM_FLAGS, "-jar", "{jar}", "--server.port={port}", "--server.address=127.0.0.1", NO_ACTUATOR],
           CPU_N_JAVA, SAMPLE_JAR,
           "the sample app with Prefork's defaults (2 workers = cores, 8 threads, queue-capacity 64)"),
    Server("prefork-tuned", "Prefork (tuned)", 64, "2 workers x 32 threads + queue 2 x 32",
           ["java", *JVM_FLAGS, "-jar", "{jar}", "--server.port={port}", "--server.address=127.0.0.1",
            "--prefork.threads=32", "--prefork.queue-capacity=32", NO_ACTUATOR],
           CPU_N_JAVA, SAMPLE_JAR,
           "threads = the blocking concurrency of the c=64 scenarios; queue-capacity = threads, so a "
           "queued request waits at most about one service time"),
    Server("prefork-processes", "Prefork (2 worker JVMs)", 16, "2 worker JVMs x 8 threads + queue 64 each",
           ["java", *JVM_FLAGS, "-jar", "{jar}", "--server.port={port}", "--server.address=127.0.0.1", NO_ACTUATOR,
            "--prefork.mode=processes", "--prefork.workers=2"],
           CPU_N_JAVA, SAMPLE_JAR,
           "the sample app in process mode: an arbiter and 2 worker JVMs (JVM flags inherited) of one in-JVM "
           "worker x 8 threads each, the same total threads as Prefork (default)"),
    Server("stock", "stock reactor-netty", 16, "boundedElastic: 16 threads + queue 100000",
           ["java", *JVM_FLAGS, "-Dreactor.schedulers.defaultBoundedElasticSize=16", "-jar", "{jar}",
            "--server.port={port}", "--server.address=127.0.0.1", "--prefork.enabled=false", NO_ACTUATOR],
           CPU_N_JAVA, SAMPLE_JAR,
           "the same sample app with prefork.enabled=false: Boot's Netty server, /work and /cpu on "
           "Schedulers.boundedElastic() sized to 16 threads (default 10 x cores = 20) for equal thread counts"),
    Server("tomcat16", "Tomcat (16 thr)", 16, "16 threads + unbounded queue",
           ["java", *JVM_FLAGS, "-jar", "{jar}", "--server.port={port}", "--server.address=127.0.0.1",
            "--server.tomcat.threads.max=16", "--server.tomcat.threads.min-spare=16"],
           CPU_N_JAVA, TOMCAT_JAR, "Spring MVC on Tomcat with Prefork's default thread count"),
    Server("tomcat200", "Tomcat (200 thr)", 200, "200 threads + unbounded queue",
           ["java", *JVM_FLAGS, "-jar", "{jar}", "--server.port={port}", "--server.address=127.0.0.1"],
           CPU_N_JAVA, TOMCAT_JAR, "Spring MVC on Tomcat with Boot's defaults (threads.max 200)"),
    Server("gunicorn", "gunicorn gthread", 16, "2 workers x 8 threads",
           [GUNICORN, "--worker-class", "gthread", "--workers", "2", "--threads", "8",
            "--bind", "127.0.0.1:{port}", "--chdir", os.path.join(BENCH, "gunicorn"), "--log-level", "warning",
            "app:app"],
           CPU_N_PYTHON, None, "Debian's gunicorn, gthread workers, a 40-line WSGI app (gunicorn/app.py)"),
]

# Longest warm-up per server and repetition (see Harness.warm_up).
WARMUP_MAX_S = 45

SAMPLE_CONFIG = os.path.join(ROOT, "sample-app/src/main/resources/application.yml")


def sample_admission():
    """Requests the sample app (which the harness runs as Prefork) admits at once: workers x
    (threads + queue-capacity), read from its application.yml, the one place they are set."""
    with open(SAMPLE_CONFIG) as config:
        text = config.read()
    value = {key: int(re.search(r"(?m)^  " + key + r":\s*(\d+)", text).group(1))
             for key in ("workers", "threads", "queue-capacity")}
    return value["workers"] * (value["threads"] + value["queue-capacity"])


# Offered concurrency of the overload scenario: 4 x what the sample app admits at once, the
# same for every server.
OVERLOAD_CONNECTIONS = 4 * sample_admission()


@dataclass
class Scenario:
    name: str
    path: str  # {cpu_n} is replaced by the server's calibrated n
    connections: int
    duration: float  # seconds, full mode
    close: bool = False
    service_ms: int = None  # sleep per request, for blocking scenarios
    description: str = ""

    def url_path(self, server):
        return self.path.format(cpu_n=server.cpu_n)


SCENARIOS = [
    Scenario("hello", "/hello", 64, 10, description="non-blocking hello, keep-alive, c=64"),
    Scenario("hello-close", "/hello", 64, 10, close=True,
             description="hello with a new connection per request (Connection: close), c=64"),
    Scenario("cpu", "/cpu?n={cpu_n}", 64, 10, description="~0.2 ms of CPU per request, keep-alive, c=64"),
    Scenario("work20-c64", "/work?ms=20", 64, 10, service_ms=20,
             description="blocking 20 ms sleep, keep-alive, c=64"),
    Scenario("work20-c64-close", "/work?ms=20", 64, 10, close=True, service_ms=20,
             description="blocking 20 ms, new connection per request, c=64"),
    Scenario("work20-c256", "/work?ms=20", 256, 10, service_ms=20,
             description="blocking 20 ms, keep-alive, c=256 (more clients than threads + queue)"),
    Scenario("overload", "/work?ms=100", OVERLOAD_CONNECTIONS, 30, service_ms=100,
             description=f"blocking 100 ms, c={OVERLOAD_CONNECTIONS} (4x the sample app's admission "
                         "capacity), clients retry at once"),
]


class Processes:
    """Every process the harness starts, in its own process group, listed in a pid file that
    ../run's EXIT trap reads, so that nothing outlives the harness even if it is killed."""

    def __init__(self, pid_file):
        self.pid_file = pid_file
        self.groups = set()

    def start(self, command, log_path, **kwargs):
        log = open(log_path, "ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, **kwargs)
        log.close()
        self.groups.add(process.pid)
        self._write()
        return process

    def stop(self, process, grace=20):
        if process.poll() is None:
            self._signal(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self._signal(process.pid, signal.SIGKILL)  # stragglers of the group (gunicorn workers)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.groups.discard(process.pid)
        self._write()

    def stop_all(self):
        for group in list(self.groups):
            self._signal(group, signal.SIGKILL)
        self.groups.clear()
        self._write()

    @staticmethod
    def _signal(group, sig):
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _write(self):
        with open(self.pid_file, "w") as out:
            out.write("".join(f"{group}\n" for group in sorted(self.groups)))


def process_tree(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total / CLK_TCK


def jit_cpu_seconds(pids):
    """CPU time of the JIT compiler threads of every JVM in the tree (process mode has several):
    still high during a run = not warmed up."""
    return sum(jvm_jit_cpu_seconds(pid) for pid in pids)


def jvm_jit_cpu_seconds(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                text = stat.read()
            if re.match(r"C\d CompilerThre", text[text.index("(") + 1:]):
                fields = text.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            pass
    return total / CLK_TCK


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except Exception:
        return None


class RssSampler(threading.Thread):
    """Samples the server's RSS while a load runs, to show whether it stays flat."""

    def __init__(self, pids, every=0.5):
        super().__init__(daemon=True)
        self.pids, self.every, self.samples = pids, every, []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.samples.append(rss_kb(self.pids))
            self.stopping.wait(self.every)

    def finish(self):
        self.stopping.set()
        self.join()
        return self.samples


class Harness:

    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.out = os.path.abspath(args.out)
        self.logs = os.path.join(self.out, "logs") if self.quick else os.path.join(BENCH, "target", "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.processes = Processes(args.pid_file or os.path.join(self.logs, "pids"))
        servers = SERVERS + ([baseline_server(args.baseline_jar)] if args.baseline_jar else [])
        self.servers = [s for s in servers if not args.servers or s.name in args.servers.split(",")
                        or s.name == "prefork-baseline"]
        self.scenarios = [s for s in SCENARIOS if not args.scenarios or s.name in args.scenarios.split(",")]
        self.runs, self.starts, self.warmups, self.failures = [], [], [], []
        self.jars = {}
        self.pin = cpu_split() if args.pin else None

    # Durations: full mode as in SCENARIOS; quick mode only proves every server answers everything.
    def duration(self, scenario):
        if self.quick:
            return 1
        if self.args.seconds and scenario.name != "overload":
            return self.args.seconds
        return scenario.duration

    def log(self, message):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)

    def snapshot_jars(self):
        """Copies the jars, so that a rebuild in the work tree during the run cannot change them."""
        jar_dir = os.path.join(self.logs, "jars")
        os.makedirs(jar_dir, exist_ok=True)
        names = set()
        for jar in sorted({s.jar for s in self.servers if s.jar} | {JMH_JAR}):
            if not os.path.exists(jar):
                sys.exit(f"missing {jar}: build first (benchmarks/run without --no-build does)")
            name = os.path.basename(jar)
            while name in names:  # a baseline jar has the sample app's own name
                name = "other-" + name
            names.add(name)
            copy = os.path.join(jar_dir, name)
            shutil.copyfile(jar, copy)
            self.jars[jar] = copy

    def command(self, server, port):
        jar = self.jars.get(server.jar, server.jar)
        command = [part.format(port=port, jar=jar) for part in server.command]
        if self.quick and command[0] == "java":
            # Quick mode boots every JVM at once on two cores: C1 only halves the compile work.
            command.insert(1, "-XX:TieredStopAtLevel=1")
        if self.pin:
            if command[0] == "java":
                # Sized as on the whole machine (workers, event loops, GC threads), only confined.
                command.insert(1, f"-XX:ActiveProcessorCount={os.cpu_count()}")
            command = ["taskset", "-c", self.pin["server"], *command]
        return command

    def launch(self, server, rep):
        port = free_port()
        command = self.command(server, port)
        log_path = os.path.join(self.logs, f"{server.name}-rep{rep}.log")
        began = time.monotonic()
        return self.processes.start(command, log_path), port, began, command, log_path

    def await_ready(self, server, rep, launched):
        process, port, began, command, log_path = launched
        url = f"http://127.0.0.1:{port}/hello"
        while http_status(url, 0.5) != 200:
            if process.poll() is not None:
                raise RuntimeError(f"{server.name} exited during startup, see {log_path}")
            if time.monotonic() - began > 120:
                self.processes.stop(process)
                raise RuntimeError(f"{server.name} did not answer within 120 s, see {log_path}")
            time.sleep(0.02)
        startup_ms = (time.monotonic() - began) * 1000
        time.sleep(0.2 if self.quick else 2)  # let startup settle before reading idle RSS
        pids = process_tree(process.pid)
        start = {"server": server.name, "rep": rep, "port": port, "startup_ms": round(startup_ms),
                 "idle_rss_kb": rss_kb(pids), "processes": len(pids), "command": command,
                 "boot_reported_s": self.reported_boot_seconds(log_path)}
        self.starts.append(start)
        self.log(f"{server.name}: answered after {startup_ms:.0f} ms on port {port}, "
                 f"idle RSS {start['idle_rss_kb'] / 1024:.0f} MB")
        return process, port

    @staticmethod
    def reported_boot_seconds(log_path):
        with open(log_path, errors="replace") as log:
            found = re.search(r"Started \S+ in ([0-9.]+) seconds", log.read())
        return float(found.group(1)) if found else None

    def wrk(self, port, path, connections, duration, close=False, log_name=None, split_us=None):
        command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{duration}s",
                   "--timeout", "10s", "-s", WRK_SCRIPT]
        if self.pin:
            command = ["taskset", "-c", self.pin["client"], *command]
        if close:
            command += ["-H", "Connection: close"]
        command.append(f"http://127.0.0.1:{port}{path}")
        log_path = os.path.join(self.logs, (log_name or "warmup") + ".wrk.log")
        env = dict(os.environ, WRK_SPLIT_US=str(split_us)) if split_us else None
        process = self.processes.start(command, log_path, env=env)
        try:
            process.wait(duration + 60)
        except subprocess.TimeoutExpired:
            pass
        self.processes.stop(process, grace=2)
        with open(log_path, errors="replace") as log:
            found = [line for line in log if line.startswith("WRK_JSON ")]
        if not found:
            raise RuntimeError(f"wrk printed no result, see {log_path}")
        return command, json.loads(found[-1][len("WRK_JSON "):])

    def warm_up(self, server, port, pids):
        """Loads every endpoint in rounds until the JIT compiler threads use under 3% of the
        server's CPU in a round (at least 2 rounds, at most WARMUP_MAX_S): on two busy cores C2
        needs a minute or more for the WebFlux stack, and a run during compilation measures the
        compiler, not the server."""
        if self.quick:
            return None
        began, rounds, share = time.monotonic(), 0, None
        while True:
            cpu_before, jit_before = cpu_seconds(pids), jit_cpu_seconds(pids)
            self.wrk(port, "/hello", 64, 4)
            self.wrk(port, "/hello", 64, 1, close=True)
            self.wrk(port, f"/cpu?n={server.cpu_n}", 64, 2)
            self.wrk(port, "/work?ms=20", 64, 1)
            rounds += 1
            cpu = cpu_seconds(pids) - cpu_before
            share = (jit_cpu_seconds(pids) - jit_before) / cpu if cpu else 0
            if (rounds >= 2 and share < 0.03) or time.monotonic() - began > self.warmup_max_s():
                break
        warmup = {"server": server.name, "seconds": round(time.monotonic() - began), "rounds": rounds,
                  "last_round_jit_share": round(share, 3)}
        self.log(f"{server.name}: warmed up in {warmup['seconds']} s ({rounds} rounds, JIT "
                 f"{share * 100:.1f}% of CPU in the last)")
        return warmup

    def warmup_max_s(self):
        # Pinned, the server compiles on half the cores.
        return WARMUP_MAX_S * 2 if self.pin else WARMUP_MAX_S

    def run_scenario(self, server, scenario, port, pids, rep):
        duration = self.duration(scenario)
        rss_before, cpu_before, jit_before = rss_kb(pids), cpu_seconds(pids), jit_cpu_seconds(pids)
        sampler = RssSampler(pids)
        sampler.start()
        try:
            command, result = self.wrk(port, scenario.url_path(server), scenario.connections, duration,
                                       scenario.close, f"{server.name}-{scenario.name}-rep{rep}",
                                       scenario.service_ms * 1000 if scenario.service_ms else None)
        finally:
            samples = sampler.finish()
        cpu = cpu_seconds(pids) - cpu_before
        run = {"server": server.name, "scenario": scenario.name, "rep": rep, "wrk": result,
               "cpu_s": round(cpu, 3), "jit_cpu_s": round(jit_cpu_seconds(pids) - jit_before, 3),
               "rss_before_kb": rss_before, "rss_after_kb": rss_kb(pids),
               "rss_max_kb": max(samples + [rss_before]), "wrk_command": " ".join(command)}
        self.runs.append(run)
        self.check(server, scenario, run)
        ok = report.ok_count(result)
        self.log(f"  {scenario.name:18} {server.name:14} {ok / (result['duration_us'] / 1e6):9.0f} 2xx/s  "
                 f"p99 {result['lat']['p99'] / 1000:8.1f} ms  statuses {result['statuses']}  "
                 f"cpu {cpu:6.2f} s")
        time.sleep(0.3 if self.quick else 1)  # let closed connections drain between runs

    def check(self, server, scenario, run):
        """What quick mode (and CI) asserts: the server answered the scenario, with sane statuses."""
        result = run["wrk"]
        unexpected = {s for s in result["statuses"] if s not in ("200", "503")}
        if report.ok_count(result) == 0:
            self.failures.append(f"{server.name}/{scenario.name}: no 2xx response")
        if unexpected:
            self.failures.append(f"{server.name}/{scenario.name}: unexpected statuses {sorted(unexpected)}")
        if "503" in result["statuses"] and not server.name.startswith("prefork"):
            self.failures.append(f"{server.name}/{scenario.name}: 503 from a server that queues without bound")

    def run_rep(self, rep):
        """One repetition: start every server (each alone, so that its startup is measured on
        its own; quick mode starts them all at once), warm each up, then run each scenario on
        every server back to back, so that the runs a ratio compares are seconds apart. The
        server order rotates from one repetition to the next, so that no server always runs
        first or last. Idle servers cost nothing measurable while another one is under load."""
        shift = (rep - 1) % len(self.servers)
        order = self.servers[shift:] + self.servers[:shift]
        launched = {s.name: self.launch(s, rep) for s in order} if self.quick else {}
        live = {}
        try:
            for server in order:
                try:
                    process, port = self.await_ready(server, rep, launched.pop(server.name, None)
                                                     or self.launch(server, rep))
                    live[server.name] = (process, port, process_tree(process.pid))
                except RuntimeError as ex:
                    self.failures.append(str(ex))
                    self.log(str(ex))
            for server in order:
                if server.name in live:
                    warmup = self.warm_up(server, live[server.name][1], live[server.name][2])
                    if warmup:
                        self.warmups.append(dict(warmup, rep=rep))
            for scenario in self.scenarios:
                for server in order:
                    if server.name not in live:
                        continue
                    process, port, pids = live[server.name]
                    try:
                        self.run_scenario(server, scenario, port, pids, rep)
                    except RuntimeError as ex:
                        self.failures.append(f"{server.name}/{scenario.name}: {ex}")
                        self.log(str(ex))
                    if process.poll() is not None:
                        self.failures.append(f"{server.name} died during {scenario.name}")
                        del live[server.name]
        finally:
            for process, _, _ in list(live.values()):
                self.processes.stop(process)
            for process, *_ in launched.values():
                self.processes.stop(process)

    def run_jmh(self):
        if self.args.no_jmh:
            return None
        jar = self.jars[JMH_JAR]
        out = os.path.join(self.logs, "jmh.json")
        if self.quick:  # smoke only: the benchmark still runs, its numbers mean nothing
            options = ["-f", "0", "-wi", "0", "-i", "1", "-r", "1s", "-t", "2"]
        else:
            options = []  # the benchmark's own annotations: 1 fork, 3 x 2 s warmup, 5 x 2 s
        command = ["java", *JVM_FLAGS, "-jar", jar, *options, "-rf", "json", "-rff", out]
        self.log("JMH dispatch benchmark: " + " ".join(command))
        process = self.processes.start(command, os.path.join(self.logs, "jmh.log"))
        try:
            process.wait(300)
        except subprocess.TimeoutExpired:
            pass
        self.processes.stop(process, grace=2)
        if not os.path.exists(out):
            self.failures.append("JMH dispatch benchmark produced no result, see logs/jmh.log")
            return None
        with open(out) as data:
            results = json.load(data)
        jmh = {"command": " ".join(command), "results": [
            {"benchmark": r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1],
             "params": r.get("params", {}), "score": r["primaryMetric"]["score"],
             "error": r["primaryMetric"].get("scoreError"), "unit": r["primaryMetric"]["scoreUnit"],
             "threads": r["threads"], "forks": r["forks"]} for r in results]}
        for r in jmh["results"]:
            self.log(f"  {r['benchmark']} {r['params']} {r['score']:.2f} {r['unit']}")
        return jmh

    def metadata(self, began, ended):
        def output(command):
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=30)
                return (result.stdout + result.stderr).strip()
            except (OSError, subprocess.TimeoutExpired) as ex:
                return f"unavailable ({ex})"

        def git(*arguments):
            return output(["git", "-C", ROOT, *arguments])

        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
        return {
            "command": self.args.command_line,
            "mode": "quick" if self.quick else "full",
            "reps": self.args.reps,
            "pin": self.pin,
            "warmup_max_s": self.warmup_max_s(),
            "began": began, "ended": ended,
            "git": git("rev-parse", "--short", "HEAD") + (" (work tree modified)" if git("status", "--porcelain") else ""),
            "machine": f"{os.cpu_count()} cores, {model}, Linux {os.uname().release}",
            "load_before": self.load_before, "load_after": open("/proc/loadavg").read().split()[:3],
            "java": output(["java", "-version"]).splitlines()[0],
            "jvm_flags": output(["java", *JVM_FLAGS, "-XX:+PrintCommandLineFlags", "-version"]).splitlines()[0],
            "wrk": output(["wrk", "-v"]).splitlines()[0],
            "gunicorn": output([GUNICORN, "--version"]) + ", " + output(["/usr/bin/python3", "--version"]),
            "libraries": self.library_versions(),
            "servers": [{"name": s.name, "label": s.label, "threads": s.threads, "capacity": s.capacity,
                         "cpu_n": s.cpu_n, "note": s.note,
                         "command": " ".join(self.command(s, "PORT")).replace(self.logs + "/jars/", "")}
                        for s in self.servers],
            "scenarios": [{"name": s.name, "path": s.path, "connections": s.connections,
                           "duration_s": self.duration(s), "close": s.close, "service_ms": s.service_ms,
                           "description": s.description} for s in self.scenarios],
        }

    def library_versions(self):
        wanted = ("spring-boot-4", "spring-webflux", "spring-webmvc", "reactor-netty-http", "reactor-core",
                  "netty-codec-http-", "tomcat-embed-core", "prefork-spring-boot-0")
        found = set()
        for jar in {s.jar for s in self.servers if s.jar}:
            with zipfile.ZipFile(self.jars[jar]) as archive:
                for name in archive.namelist():
                    base = os.path.basename(name)
                    if name.startswith("BOOT-INF/lib/") and base.startswith(wanted):
                        found.add(base[:-4])
        return sorted(found)

    def main(self):
        began = datetime.datetime.now().isoformat(timespec="seconds")
        self.load_before = open("/proc/loadavg").read().split()[:3]
        self.snapshot_jars()
        self.log(f"{'quick' if self.quick else 'full'} run, {self.args.reps} rep(s), servers "
                 f"{[s.name for s in self.servers]}, load average {self.load_before}")
        for rep in range(1, self.args.reps + 1):
            self.log(f"repetition {rep}/{self.args.reps}")
            self.run_rep(rep)
        jmh = self.run_jmh()
        ended = datetime.datetime.now().isoformat(timespec="seconds")
        data = {"meta": self.metadata(began, ended), "starts": self.starts, "warmups": self.warmups,
                "runs": self.runs, "jmh": jmh,
                "failures": self.failures}
        os.makedirs(self.out, exist_ok=True)
        with open(os.path.join(self.out, "results.json"), "w") as out:
            json.dump(data, out, indent=1)
        report.write(data, self.out)
        self.log(f"wrote {self.out}/RESULTS.md and {self.out}/results.png")
        self.verify_complete()
        if self.failures:
            for failure in self.failures:
                self.log("FAILED: " + failure)
            return 1
        self.log("every server answered every scenario")
        return 0

    def verify_complete(self):
        for server in self.servers:
            for scenario in self.scenarios:
                reps = [r for r in self.runs if r["server"] == server.name and r["scenario"] == scenario.name]
                if len(reps) != self.args.reps:
                    self.failures.append(f"{server.name}/{scenario.name}: {len(reps)} of {self.args.reps} runs")


def cpu_split():
    """The cores this process may use, split in two: servers get the upper half, wrk the lower."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        sys.exit("--pin needs at least 2 cores")
    half = len(cpus) // 2
    return {"client": ",".join(map(str, cpus[:half])), "server": ",".join(map(str, cpus[half:]))}


def baseline_server(jar):
    """Prefork (default) from another build of the sample app, for an interleaved before/after."""
    prefork = next(s for s in SERVERS if s.name == "prefork")
    return Server("prefork-baseline", "Prefork (baseline jar)", prefork.threads, prefork.capacity, prefork.command,
                  prefork.cpu_n, os.path.abspath(jar), f"the sample app built from another commit: {jar}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 rep of 1 s runs: proves it works, in < 2 min")
    parser.add_argument("--reps", type=int, help="interleaved repetitions (default 3; quick: 1)")
    parser.add_argument("--out", help="where RESULTS.md, results.png and results.json go")
    parser.add_argument("--servers", help="comma-separated subset of: " + ",".join(s.name for s in SERVERS))
    parser.add_argument("--scenarios", help="comma-separated subset of: " + ",".join(s.name for s in SCENARIOS))
    parser.add_argument("--seconds", type=int, help="duration of each run except overload (default 10; overload: 30)")
    parser.add_argument("--no-jmh", action="store_true", help="skip the JMH dispatch benchmark")
    parser.add_argument("--pin", action="store_true",
                        help="servers on the upper half of the cores, wrk on the lower half (taskset), so "
                             "that client and server do not compete for a core; default --out: pinned/")
    parser.add_argument("--baseline-jar",
                        help="another build of the sample app, run as 'Prefork (baseline jar)' beside the others: "
                             "an interleaved before/after of a change")
    parser.add_argument("--pid-file", help="where to list started process groups (for ../run's EXIT trap)")
    parser.add_argument("--command-line", default=" ".join(sys.argv), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reps is None:
        args.reps = 1 if args.quick else 3
    if args.out is None:
        args.out = (os.path.join(BENCH, "target", "quick-results") if args.quick
                    else os.path.join(BENCH, "pinned") if args.pin else BENCH)
    harness = Harness(args)

    def interrupted(signum, frame):
        print(f"[bench {time.strftime('%H:%M:%S')}] stopped by signal {signum}, stopping every server", flush=True)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        return harness.main()
    finally:
        harness.processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
