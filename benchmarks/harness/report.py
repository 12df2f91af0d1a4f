"""Turns the harness's raw results (results.json) into RESULTS.md and a chart (results.png).

Every number in a table is the median over the interleaved repetitions, with [min-max] when
there is more than one. Ratios are computed per repetition between runs made minutes apart
(A B C D for one scenario, then the next; the server order rotates between repetitions), then their
median is taken: the machine's drift cancels in a ratio.

Run it alone to redo the report from a results.json: python3 report.py results.json OUT_DIR
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

BASELINES = ["prefork-baseline", "stock", "tomcat16", "tomcat200", "gunicorn"]
PREFORKS = ["prefork", "prefork-tuned"]
COLORS = {"prefork": "#1f4e99", "prefork-tuned": "#6baed6", "prefork-baseline": "#9467bd", "stock": "#555555", "tomcat16": "#d62728",
          "tomcat200": "#fd8d3c", "gunicorn": "#2ca02c"}
ANALYSIS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "analysis.md")
FAULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "faults", "RESULTS-faults.md")


# ---- one run's numbers ----------------------------------------------------------------------

def ok_count(wrk):
    return sum(n for status, n in wrk["statuses"].items() if status.startswith("2"))


def socket_errors(wrk):
    errors = wrk["errors"]
    return errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]


def metrics(run, scenario):
    wrk = run["wrk"]
    seconds = wrk["duration_us"] / 1e6
    ok = ok_count(wrk)
    other = wrk["requests"] - ok
    service_ms = scenario.get("service_ms")
    lat = wrk["lat"]
    m = {
        "ok_rps": ok / seconds,
        "rps": wrk["requests"] / seconds,
        "p50_all": lat["p50"] / 1000, "p99_all": lat["p99"] / 1000, "max": lat["max"] / 1000,
        "cpu_us": run["cpu_s"] / max(1, wrk["requests"]) * 1e6,
        "cpu_us_ok": run["cpu_s"] / max(1, ok) * 1e6,
        "jit_share": run.get("jit_cpu_s", 0) / run["cpu_s"] * 100 if run["cpu_s"] else 0,
        "socket_errors": socket_errors(wrk),
        "rss_before": run["rss_before_kb"] / 1024, "rss_max": run["rss_max_kb"] / 1024,
        "rss_after": run["rss_after_kb"] / 1024,
        "other": other, "other_rps": other / seconds,
    }
    split = wrk.get("split")
    if other == 0:
        m["ok_p50"], m["ok_p99"] = m["p50_all"], m["p99_all"]
    elif split and "below" in split:
        # See wrk-report.lua: the 2xx percentiles are bounded; report the upper (conservative) bound.
        m["ok_p50"], m["ok_p99"] = split["ok_p50_hi"] / 1000, split["ok_p99_hi"] / 1000
        m["ok_p99_lo"] = split["ok_p99_lo"] / 1000
        m["slow_other"] = other - split["below"]
        if 0.99 * other <= split["below"]:
            m["shed_p50"], m["shed_p99"] = split["other_p50"] / 1000, split["other_p99"] / 1000
        else:  # more than 1% of the 503s were slower than the sleep: their p99 is at least that
            m["shed_p99_over"] = service_ms
    if service_ms and "ok_p99" in m:
        m["ok_p99_x_service"] = m["ok_p99"] / service_ms
    return m


# ---- aggregation -------------------------------------------------------------------------------

class Results:

    def __init__(self, data):
        self.data = data
        self.meta = data["meta"]
        self.servers = [s["name"] for s in self.meta["servers"]]
        self.labels = {s["name"]: s["label"] for s in self.meta["servers"]}
        self.scenarios = [s["name"] for s in self.meta["scenarios"]]
        self.scenario = {s["name"]: s for s in self.meta["scenarios"]}
        self.by_rep = {}  # (server, scenario) -> {rep: metrics}
        for run in data["runs"]:
            key = (run["server"], run["scenario"])
            self.by_rep.setdefault(key, {})[run["rep"]] = metrics(run, self.scenario[run["scenario"]])
        self.starts = {}
        for start in data["starts"]:
            self.starts.setdefault(start["server"], {})[start["rep"]] = start

    def values(self, server, scenario, key):
        reps = self.by_rep.get((server, scenario), {})
        return [m[key] for _, m in sorted(reps.items()) if m.get(key) is not None]

    def median(self, server, scenario, key):
        values = self.values(server, scenario, key)
        return statistics.median(values) if values else None

    def ratios(self, server, baseline, scenario, key):
        """Per-repetition ratios server / baseline (interleaved runs of the same repetition)."""
        mine = self.by_rep.get((server, scenario), {})
        theirs = self.by_rep.get((baseline, scenario), {})
        return [mine[rep][key] / theirs[rep][key] for rep in sorted(set(mine) & set(theirs))
                if mine[rep].get(key) is not None and theirs[rep].get(key)]

    def start_values(self, server, key):
        return [s[key] for _, s in sorted(self.starts.get(server, {}).items()) if s.get(key) is not None]

    def start_ratios(self, server, baseline, key):
        mine, theirs = self.starts.get(server, {}), self.starts.get(baseline, {})
        return [mine[rep][key] / theirs[rep][key] for rep in sorted(set(mine) & set(theirs))
                if mine[rep].get(key) and theirs[rep].get(key)]


def fmt(values, digits=0, unit="", spread=True):
    if not values:
        return "–"
    middle = statistics.median(values)
    text = f"{middle:,.{digits}f}{unit}"
    if spread and len(values) > 1:
        text += f" [{min(values):,.{digits}f}–{max(values):,.{digits}f}]"
    return text


def ratio_fmt(values):
    if not values:
        return "–"
    text = f"**{statistics.median(values):.2f}×**"
    if len(values) > 1:
        text += f" [{min(values):.2f}–{max(values):.2f}]"
    return text


def med(values):
    return statistics.median(values) if values else None


# ---- RESULTS.md ------------------------------------------------------------------------------

def write(data, out_dir):
    results = Results(data)
    chart = "results.png"
    has_chart = write_chart(results, out_dir, chart)
    with open(os.path.join(out_dir, "RESULTS.md"), "w") as out:
        out.write(markdown(results, chart if has_chart else None))


def markdown(r, chart):
    meta = r.meta
    lines = []
    add = lines.append
    add("# Benchmark results: Prefork vs stock reactor-netty, Tomcat and gunicorn\n")
    add("Generated by `benchmarks/run` (do not edit by hand: rerun it; hand-written findings live in "
        "`benchmarks/analysis.md` and are appended below). "
        f"**{meta['mode']} run**, {meta['reps']} interleaved repetition(s), {meta['began']} → {meta['ended']}.\n")
    pin = meta.get("pin")
    if pin:
        add(f"> Pinned run (`--pin`): every server confined to core(s) {pin['server']} (`taskset`; JVMs told "
            f"`-XX:ActiveProcessorCount` = all cores, so they size themselves as unpinned) and wrk to core(s) "
            f"{pin['client']}, so that client and server never compete for a core. Server throughput is then "
            "bounded by half the machine, and the load average counts the server's threads queued on "
            "its core; compare ratios, not absolute numbers, with the unpinned `benchmarks/RESULTS.md`, whose "
            "target verdicts are the ones that count (this run's are shown for comparison).\n")
    if meta["mode"] == "quick":
        add("> Quick mode: 1 s runs (all servers booted at once, C1 only) that only prove every server answers every scenario. "
            "Its numbers are not measurements.\n")
    if chart:
        add(f"![ratios at a glance]({chart})\n")
    add("How to read it: each cell is the median over the repetitions, [min–max] after it. Ratios are "
        "computed per repetition, between runs of the same scenario seconds apart, and then their median is taken: this "
        "machine is shared and its absolute numbers drift ±30% between runs, the ratios much less. "
        "Throughput counts **2xx responses** only: Prefork's 503s are reported apart.\n")

    add("## Headline ratios (2xx throughput, Prefork ÷ alternative)\n")
    present = [b for b in BASELINES if b in r.servers]
    add("| scenario | Prefork | " + " | ".join(f"÷ {r.labels[b]}" for b in present) + " |")
    add("|---|---|" + "---|" * len(present))
    for scenario in r.scenarios:
        for prefork in (p for p in PREFORKS if p in r.servers):
            cells = [ratio_fmt(r.ratios(prefork, b, scenario, "ok_rps")) for b in present]
            add(f"| {scenario} | {r.labels[prefork]} | " + " | ".join(cells) + " |")
    add("")

    add("## Throughput (2xx responses/s)\n")
    table(r, lines, "ok_rps", 0)
    add("Theoretical ceiling of the blocking scenarios = min(threads, connections) / service time: "
        + ", ".join(f"{r.labels[s['name']]} {min(s['threads'], 64) / 0.020:,.0f} (c=64)"
                    for s in meta["servers"]) + " for `work?ms=20`.\n")

    add("## Latency of 2xx responses (ms): p50 / p99 / max of all responses\n")
    add("Where a server also answered 503, the 2xx percentiles are derived from wrk's one histogram: every 2xx "
        "response includes the sleep, so samples faster than it are 503s; the few 503s slower than it (column "
        "in the overload table) make the 2xx percentile uncertain by that many ranks, and the upper bound is "
        "shown (`harness/wrk-report.lua`).\n")
    add("| scenario | " + " | ".join(r.labels[s] for s in r.servers) + " |")
    add("|---|" + "---|" * len(r.servers))
    for scenario in r.scenarios:
        cells = []
        for server in r.servers:
            p50, p99, mx = (r.median(server, scenario, k) for k in ("ok_p50", "ok_p99", "max"))
            cells.append("–" if p99 is None else f"{p50:,.1f} / {p99:,.1f} / {mx:,.0f}")
        add(f"| {scenario} | " + " | ".join(cells) + " |")
    add("")

    add("## Server CPU per response (µs; utime + stime of the server's processes ÷ responses)\n")
    table(r, lines, "cpu_us", 0)
    add("Share of that CPU spent by the JIT compiler threads during the run (%; high = the JVM was still "
        "warming up, which counts against it):\n")
    table(r, lines, "jit_share", 1)

    add("## Non-2xx responses and socket errors (sum over repetitions)\n")
    add("| scenario | " + " | ".join(r.labels[s] for s in r.servers) + " |")
    add("|---|" + "---|" * len(r.servers))
    for scenario in r.scenarios:
        cells = []
        for server in r.servers:
            runs = [run["wrk"] for run in r.data["runs"] if run["server"] == server and run["scenario"] == scenario]
            statuses = {}
            for wrk in runs:
                for status, n in wrk["statuses"].items():
                    if not status.startswith("2"):
                        statuses[status] = statuses.get(status, 0) + n
            errors = {k: sum(w["errors"][k] for w in runs) for k in ("connect", "read", "write", "timeout")}
            parts = [f"{s}: {n:,}" for s, n in sorted(statuses.items())]
            parts += [f"{k} errors: {n:,}" for k, n in errors.items() if n]
            cells.append(", ".join(parts) if parts else "0")
        add(f"| {scenario} | " + " | ".join(cells) + " |")
    add("")

    if "overload" in r.scenarios:
        overload(r, lines)

    add("## Startup and idle memory\n")
    add("Startup = process start to the first 200 from `/hello` (measured from outside, the same way "
        "for every server); Boot's own \"Started in\" figure beside it. Idle RSS is read 2 s later, "
        "before any load (all JVMs with the same `-Xmx`).\n")
    add("| server | startup (ms) | ÷ stock | Boot \"Started in\" (s) | idle RSS (MB) | ÷ stock | processes |")
    add("|---|---|---|---|---|---|---|")
    for server in r.servers:
        rss = [v / 1024 for v in r.start_values(server, "idle_rss_kb")]
        add(f"| {r.labels[server]} | {fmt(r.start_values(server, 'startup_ms'))} | "
            f"{ratio_fmt(r.start_ratios(server, 'stock', 'startup_ms')) if server != 'stock' else '1'} | "
            f"{fmt(r.start_values(server, 'boot_reported_s'), 2)} | {fmt(rss)} | "
            f"{ratio_fmt(r.start_ratios(server, 'stock', 'idle_rss_kb')) if server != 'stock' else '1'} | "
            f"{fmt(r.start_values(server, 'processes'), spread=False)} |")
    add("")

    jmh(r, lines)
    targets(r, lines)

    main_run = meta["mode"] == "full" and not pin  # what analysis.md and the fault table were written beside
    if os.path.exists(ANALYSIS) and main_run:
        with open(ANALYSIS) as analysis:
            add(analysis.read().rstrip() + "\n")

    if os.path.exists(FAULTS) and main_run:
        fault_table(lines)

    add("## How this was run\n")
    add(f"- Command: `{meta['command']}`")
    add(f"- Git: {meta['git']}; machine: {meta['machine']}")
    add(f"- Load average before / after: {' '.join(meta['load_before'])} / {' '.join(meta['load_after'])}")
    add(f"- {meta['java']}; JVM flags for every JVM: `-Xmx512m` → `{meta['jvm_flags']}`")
    add(f"- {meta['wrk']}; {meta['gunicorn']}")
    add(f"- Libraries in the jars: {', '.join(meta['libraries'])}")
    add("- Each repetition: start every server, one after the other, on a free 127.0.0.1 port; wait for "
        "`/hello`; read idle RSS 2 s later; warm each up in rounds of `/hello` 4 s, `/hello` with `Connection: close` "
        "1 s, `/cpu` 2 s and `/work?ms=20` 1 s until its JIT compiler threads use under 3% of its CPU in a round "
        f"(at least 2 rounds, at most {meta.get('warmup_max_s', 45)} s); "
        "then run each scenario on every server back to back (the server order rotates by one each "
        "repetition), so that the runs a ratio compares are seconds apart; stop them all. Only one server is "
        "under load at a time; the others sit idle. "
        + (f"wrk runs on core(s) {pin['client']}, the servers on {pin['server']} " if pin
           else "wrk runs on the same 2 cores as the server ")
        + "(`-t2`, `--timeout 10s`, `-s harness/wrk-report.lua`).\n")
    warmups = {}
    for w in r.data.get("warmups", []):
        warmups.setdefault(w["server"], []).append(w)
    if warmups:
        add("Warm-up per server (median over repetitions): " + "; ".join(
            f"{r.labels[name]} {statistics.median(x['seconds'] for x in ws):.0f} s, JIT "
            f"{statistics.median(x['last_round_jit_share'] for x in ws) * 100:.1f}% of its CPU in the last round"
            for name, ws in warmups.items() if name in r.labels) + ".\n")
    add("| server | what | threads | admits at once | command |")
    add("|---|---|---|---|---|")
    for s in meta["servers"]:
        add(f"| {s['label']} | {s['note']} | {s['threads']} | {s['capacity']} | `{s['command']}` |")
    add("")
    add("| scenario | what | wrk |")
    add("|---|---|---|")
    for s in meta["scenarios"]:
        example = next((run["wrk_command"] for run in r.data["runs"] if run["scenario"] == s["name"]), "")
        example = example.replace(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/", "")
        add(f"| {s['name']} | {s['description']}, {s['duration_s']} s | `{example}` |")
    add("")
    if r.data["failures"]:
        add("## Failures\n")
        lines.extend(f"- {f}" for f in r.data["failures"])
        add("")
    return "\n".join(lines) + "\n"


def fault_table(lines):
    """The summary table of the last full fault-injection run (benchmarks/faults), with its date."""
    with open(FAULTS) as faults:
        text = faults.read().splitlines()
    written = next((line for line in text if line.startswith("Written by")), "")
    stamp = written[written.find("(") + 1:written.rfind(")")] if "(" in written else "date unknown"
    start = next((i for i, line in enumerate(text) if line.startswith("| scenario")), len(text))
    end = next((i for i in range(start, len(text)) if not text[i].startswith("|")), len(text))
    summary = next((line for line in text if line.endswith(" failed") and " passed, " in line), "")
    lines.append("## Fault injection and soak\n")
    lines.append(f"The last `benchmarks/faults/run --full` ({stamp}); every scenario's details are in "
                 "[faults/RESULTS-faults.md](faults/RESULTS-faults.md).\n")
    lines.extend(text[start:end])
    lines.append("")
    if summary:
        lines.append(f"**{summary}**\n")


def table(r, lines, key, digits):
    lines.append("| scenario | " + " | ".join(r.labels[s] for s in r.servers) + " |")
    lines.append("|---|" + "---|" * len(r.servers))
    for scenario in r.scenarios:
        cells = [fmt(r.values(server, scenario, key), digits) for server in r.servers]
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    lines.append("")


def overload(r, lines):
    s = r.scenario["overload"]
    add = lines.append
    add(f"## Overload: `{s['path']}` at c={s['connections']} for {s['duration_s']} s\n")
    add("Clients that retry at once, ignoring `Retry-After` (wrk): the worst case for a server that sheds. "
        "\"Admitted\" = requests answered 2xx; \"shed\" = answered 503.\n")
    add("| server | 2xx/s | admitted p50 / p99 (ms) | p99 ÷ service time | shed 503/s | shed p99 (ms) | "
        "503s slower than the service time | socket errors | RSS before → max → after (MB) |")
    add("|---|---|---|---|---|---|---|---|---|")
    for server in r.servers:
        v = lambda key, digits=0: fmt(r.values(server, "overload", key), digits)
        rss = " → ".join(f"{med(r.values(server, 'overload', k)) or 0:,.0f}" for k in ("rss_before", "rss_max", "rss_after"))
        add(f"| {r.labels[server]} | {v('ok_rps')} | {v('ok_p50')} / {v('ok_p99')} | {v('ok_p99_x_service', 1)} | "
            f"{v('other_rps')} | {v('shed_p99', 1)} | {v('slow_other')} | {v('socket_errors')} | {rss} |")
    add("")


def jmh(r, lines):
    data = r.data.get("jmh")
    if not data:
        return
    lines.append("## JMH: dispatch path (`benchmarks/jmh`, `DispatchBenchmark`)\n")
    lines.append("Round trips of `GET /hello` over keep-alive loopback sockets against a trivial handler: on "
                 "Prefork through event loop → worker queue → worker thread → event loop; on stock reactor-netty "
                 "on the event loop alone. The ratio is the price of the two hand-offs.\n")
    lines.append(f"`{data['command']}`\n")
    lines.append("| benchmark | server | threads | score | error (99.9%) |")
    lines.append("|---|---|---|---|---|")
    scores = {}
    for result in data["results"]:
        server = result["params"].get("server", "")
        scores[server] = result["score"]
        error = f"± {result['error']:.2f}" if isinstance(result["error"], (int, float)) else "–"
        lines.append(f"| {result['benchmark']} | {server} | {result['threads']} | "
                     f"{result['score']:.2f} {result['unit']} | {error} |")
    if scores.get("stock"):
        lines.append(f"\nprefork ÷ stock: **{scores.get('prefork', 0) / scores['stock']:.2f}×**")
    lines.append("")


def targets(r, lines):
    add = lines.append
    add("## Targets (from the issue), checked against the numbers above\n")
    add("| target | measured | verdict |")
    add("|---|---|---|")

    def row(target, values, test, text=None):
        if not values:
            add(f"| {target} | not measured | – |")
            return
        middle = statistics.median(values)
        if test is None:  # shown for contrast, not a target of Prefork's
            add(f"| {target} | {text or ratio_fmt(values)} | (contrast) |")
            return
        verdict = "met" if test(middle) else "**missed**"
        if test(middle) != test(min(values)) or test(middle) != test(max(values)):
            verdict += " (not in every repetition)"
        add(f"| {target} | {text or ratio_fmt(values)} | {verdict} |")

    for prefork in (p for p in PREFORKS if p in r.servers):
        name = r.labels[prefork]
        if "hello" in r.scenarios:
            row(f"hello: {name} ≥ 0.95× stock rps", r.ratios(prefork, "stock", "hello", "ok_rps"), lambda x: x >= 0.95)
            row(f"hello: {name} CPU/request ≤ 1.1× stock", r.ratios(prefork, "stock", "hello", "cpu_us"),
                lambda x: x <= 1.1)
            for other in (o for o in ("tomcat16", "tomcat200", "gunicorn") if o in r.servers):
                row(f"hello: {name} ahead of {r.labels[other]}", r.ratios(prefork, other, "hello", "ok_rps"),
                    lambda x: x > 1.0)
        threads = next(s["threads"] for s in r.meta["servers"] if s["name"] == prefork)
        for scenario in ("work20-c64", "work20-c256"):
            if scenario not in r.scenarios:
                continue
            connections = r.scenario[scenario]["connections"]
            ceiling = min(threads, connections) / 0.020
            values = [v / ceiling for v in r.values(prefork, scenario, "ok_rps")]
            row(f"{scenario}: {name} ≥ 0.95 × {min(threads, connections)} threads / 20 ms = {0.95 * ceiling:,.0f}/s",
                values, lambda x: x >= 0.95,
                f"{fmt(r.values(prefork, scenario, 'ok_rps'))}/s = {ratio_fmt(values)} of {ceiling:,.0f}")
            if threads == 16 and "tomcat16" in r.servers:
                row(f"{scenario}: {name} ≥ Tomcat at equal threads (16)",
                    r.ratios(prefork, "tomcat16", scenario, "ok_rps"), lambda x: x >= 1.0)
        if "overload" in r.scenarios:
            service = r.scenario["overload"]["service_ms"]
            values = r.values(prefork, "overload", "ok_p99")
            low = r.values(prefork, "overload", "ok_p99_lo")
            row(f"overload: {name} admitted p99 ≤ 2 × {service} ms", values, lambda x: x <= 2 * service,
                f"{fmt(values)} ms = {fmt([v / service for v in values], 1)} × service"
                + (f" (lower bound {fmt(low)} ms)" if low and fmt(low) != fmt(values) else ""))
            values = r.values(prefork, "overload", "shed_p99")
            over = r.values(prefork, "overload", "shed_p99_over")
            if values:
                row(f"overload: {name} sheds with 503, p99 < 5 ms", values, lambda x: x < 5, f"{fmt(values, 1)} ms")
            elif over:
                slow = r.values(prefork, "overload", "slow_other")
                total = r.values(prefork, "overload", "other")
                row(f"overload: {name} sheds with 503, p99 < 5 ms", over, lambda x: x < 5,
                    f"> {over[0]} ms: {fmt(slow)} of {fmt(total)} 503s per run took longer than {over[0]} ms")
            values = r.values(prefork, "overload", "socket_errors")
            row(f"overload: {name} 0 socket errors", values, lambda x: x == 0, fmt(values))
            growth = [m["rss_max"] / m["rss_before"] for _, m in sorted(r.by_rep.get((prefork, "overload"), {}).items())]
            row(f"overload: {name} RSS flat (max ≤ 1.1 × before)", growth, lambda x: x <= 1.1)
    if "overload" in r.scenarios:
        service = r.scenario["overload"]["service_ms"]
        for other in ("stock", "tomcat16", "tomcat200", "gunicorn"):
            if other in r.servers:
                values = r.values(other, "overload", "ok_p99_x_service")
                row(f"overload: {r.labels[other]} p99 ÷ service time (the issue expects ~50×)",
                    values, None, f"{fmt(values, 1)}×")
    for prefork in (p for p in PREFORKS if p in r.servers and "stock" in r.servers):
        row(f"startup: {r.labels[prefork]} ≤ 1.1 × stock", r.start_ratios(prefork, "stock", "startup_ms"),
            lambda x: x <= 1.1)
        row(f"idle RSS: {r.labels[prefork]} ≤ 1.1 × stock (same -Xmx)", r.start_ratios(prefork, "stock", "idle_rss_kb"),
            lambda x: x <= 1.1)
    add("")


# ---- chart -----------------------------------------------------------------------------------

def write_chart(r, out_dir, name):
    """Up to three panels: throughput ÷ stock, 2xx p99 ÷ stock, overload p99 ÷ service time."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot or "stock" not in r.servers:
        return False
    others = [s for s in r.servers if s != "stock"]
    scenarios = [s for s in r.scenarios if s != "overload"]
    data_path = os.path.join(out_dir, ".results.dat")  # gnuplot's input, removed once drawn
    blocks, panels = [], []

    def ratio_panel(key, title):
        rows, seen = [], False
        for scenario in scenarios:
            cells = []
            for server in others:
                values = r.ratios(server, "stock", scenario, key)
                seen = seen or bool(values)
                cells.append(f"{statistics.median(values):.4f}" if values else "NaN")
            rows.append(f"\"{scenario}\" " + " ".join(cells))
        if not seen:
            return
        index = len(blocks)
        blocks.append("\n".join(rows))
        plots = ", ".join(f"'{data_path}' index {index} using {i + 2}:xtic(1) title '{r.labels[s]}' "
                          f"lc rgb '{COLORS.get(s, '#888888')}'" for i, s in enumerate(others))
        panels.append(f"""set title "{title}"
set key outside right top vertical
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb 'black' front
plot {plots}
unset arrow 1""")

    ratio_panel("ok_rps", "2xx throughput ÷ stock reactor-netty (higher is better; 1 = stock; log scale)")
    ratio_panel("ok_p99", "p99 latency of 2xx responses ÷ stock reactor-netty (lower is better; log scale)")
    overload = r.scenario.get("overload")
    if overload:
        rows, seen = [], False
        for server in r.servers:
            value = med(r.values(server, "overload", "ok_p99_x_service"))
            shed = med(r.values(server, "overload", "shed_p99"))
            seen = seen or value is not None
            label = r.labels[server].replace(" ", "\\n", 1)
            text = ("" if value is None else f"{value:.1f}×") + ("" if shed is None else f"\\n503 p99 {shed:.1f} ms")
            rows.append(f"\"{label}\" {value if value is not None else 'NaN'} \"{text}\"")
        if seen:
            index = len(blocks)
            blocks.append("\n".join(rows))
            panels.append(f"""set title "Overload (work?ms={overload['service_ms']}, c={overload['connections']}): p99 of admitted (2xx) requests ÷ service time (log; target ≤ 2×)"
set key off
set bmargin 4
set arrow 2 from graph 0, first 2 to graph 1, first 2 nohead dt 2 lw 2 lc rgb 'red' front
set label 1 "target 2×" at graph 0.01, first 2.4 tc rgb 'red'
plot '{data_path}' index {index} using 2:xtic(1) lc rgb '#555555' notitle, '' index {index} using 0:2:3 with labels offset 0,1.5 font ',10' notitle""")
    if not panels:
        return False
    with open(data_path, "w") as data:
        data.write("\n\n\n".join(blocks) + "\n")
    script = f"""set terminal pngcairo size 1400,{500 * len(panels)} font 'DejaVu Sans,12'
set output '{os.path.join(out_dir, name)}'
set multiplot layout {len(panels)},1 title "{r.meta['mode']} run{', pinned (--pin)' if r.meta.get('pin') else ''}, {r.meta['reps']} interleaved repetition(s), {r.meta['began'][:10]}: medians of per-repetition ratios" font ',14'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set grid ytics
set xtics nomirror
set logscale y
set yrange [*:*]
""" + "\n".join(panels) + "\nunset multiplot\n"
    result = subprocess.run([gnuplot], input=script, capture_output=True, text=True)
    os.remove(data_path)
    if result.returncode != 0:
        print("gnuplot failed:\n" + result.stderr, file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    with open(sys.argv[1]) as source:
        write(json.load(source), sys.argv[2])
