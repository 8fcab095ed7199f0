#!/usr/bin/python3
"""Per-job overhead of the engine against GNU make and a plain fork/exec floor.

Cases (every job runs /bin/true):
  chain     200 jobs, each depending on the previous one      (engine --job-threads 1, make -j1)
  fan-p2    1 -> 500 -> 1 fan-out/fan-in, 2 jobs at a time     (--job-threads 2, make -j2)
  fan-p8    the same DAG, 8 jobs at a time                     (--job-threads 8, make -j8)
plus "startup": a one-job flow, to tell fixed start-up cost from per-job cost.

Runs are interleaved (floor, make, engine, floor, make, engine, ...) so that load from other
processes hits all three alike; each figure is the median of --repeat runs.  Standard library
only, so it runs on the system /usr/bin/python3.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
CHAIN_JOBS = 200
FAN_WIDTH = 500
FILES_PER_JOB = 3  # the job log and the two property files


def chain_dag(n):
    """[(job, [deps])] for a chain of n jobs."""
    names = ["j%03d" % i for i in range(n)]
    return [(name, [names[i - 1]] if i else []) for i, name in enumerate(names)]


def fan_dag(width):
    middle = ["m%03d" % i for i in range(width)]
    return [("start", [])] + [(m, ["start"]) for m in middle] + [("end", middle)]


def write_project(directory, flow_name, dag):
    """A Flow 2.0 project: <name>.project plus one .flow with a command node per job."""
    os.makedirs(directory)
    with open(os.path.join(directory, flow_name + ".project"), "w") as f:
        f.write("azkaban-flow-version: 2.0\n")
    lines = ["nodes:"]
    for name, deps in dag:
        lines += ["  - name: " + name, "    type: command", "    config:",
                  "      command: /bin/true"]
        if deps:
            lines.append("    dependsOn:")
            lines += ["      - " + d for d in deps]
    with open(os.path.join(directory, flow_name + ".flow"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_makefile(path, dag):
    """One phony target per job; the last job listed is the goal (it depends on all others)."""
    lines = [".PHONY: " + " ".join(name for name, _ in dag), ".DEFAULT_GOAL := " + dag[-1][0], ""]
    for name, deps in dag:
        lines += ["%s: %s" % (name, " ".join(deps)), "\t/bin/true", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def measure(driver, argv, stdout_path=None):
    cmd = [driver, "measure"]
    if stdout_path:
        cmd += ["--stdout", stdout_path]
    out = subprocess.run(cmd + ["--"] + argv, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    if result["exit"] != 0:
        raise RuntimeError("%s exited %d" % (" ".join(argv), result["exit"]))
    return result


def check_engine_output(path, jobs):
    """The engine must really have run every job: --output json lists each node's status."""
    with open(path) as f:
        doc = json.loads(f.read().strip().splitlines()[-1])
    statuses = [n["status"] for n in doc["nodes"].values()]
    if doc["status"] != "SUCCEEDED" or len(statuses) != jobs or set(statuses) != {"SUCCEEDED"}:
        raise RuntimeError("engine run did not succeed: %s" % path)


def file_create_probe(directory, count):
    """ms per empty file created in a new directory: the cost, on this filesystem and now, of
    the three files (job log, JOB_PROP_FILE, JOB_OUTPUT_PROP_FILE) that Azkaban's semantics
    make the engine create per job, and that make and the floor never create."""
    os.makedirs(directory)
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC
    start = time.perf_counter()
    for i in range(count):
        os.close(os.open(os.path.join(directory, "f%d" % i), flags, 0o644))
    return (time.perf_counter() - start) * 1000.0 / count


def run_case(args, work, case):
    name, dag, parallel = case["name"], case["dag"], case["parallel"]
    jobs = len(dag)
    project = os.path.join(work, name, "project")
    makefile = os.path.join(work, name, "Makefile")
    write_project(project, name, dag)
    write_makefile(makefile, dag)
    stages = case["stages"]
    tools = {
        "floor": lambda rep: [args.driver, "floor", "--stages", ",".join(map(str, stages)),
                              "--parallel", str(parallel), "--program", "/bin/true"],
        "make": lambda rep: [args.make, "-s", "-f", makefile, "-j%d" % parallel],
        "engine": lambda rep: [args.executor, "run", project, "--flow", name, "--job-threads",
                               str(parallel), "--output", "json", "--data-dir",
                               os.path.join(work, name, "data-%d" % rep)],
    }
    if args.baseline_executor:
        # A second engine build in the same rotation: an A/B of an optimisation under equal noise.
        tools["baseline"] = lambda rep: [args.baseline_executor] + tools["engine"](rep)[1:-1] + [
            os.path.join(work, name, "baseline-data-%d" % rep)]
    samples = {tool: [] for tool in tools}
    create_ms = []
    for rep in range(args.warmup + args.repeat):
        for tool, argv in tools.items():
            out = os.path.join(work, name, "%s-%d.out" % (tool, rep))
            result = measure(args.driver, argv(rep), out)
            if tool in ("engine", "baseline"):
                # Each run gets a fresh SQLite store.  It is kept until the end: deleting files
                # between runs makes later file creation slower on some ext4 setups (no journal:
                # the inode allocator skips recently deleted inodes one by one).
                check_engine_output(out, jobs)
            if rep >= args.warmup:
                samples[tool].append(result)
            if tool == "engine" and rep >= args.warmup:
                # Next to the engine's store, kept like it until the end.
                create_ms.append(file_create_probe(
                    os.path.join(work, name, "files-%d" % rep), FILES_PER_JOB * jobs))
        print("  %-8s run %d/%d done" % (name, rep + 1, args.warmup + args.repeat),
              file=sys.stderr)

    def median(tool, key):
        return statistics.median(s[key] for s in samples[tool])

    wall = {tool: median(tool, "wall_ms") for tool in tools}
    per_job = {tool: wall[tool] / jobs for tool in tools}
    # Overhead = what a tool adds on top of the bare fork/exec of the same jobs.
    overhead = {tool: (wall[tool] - wall["floor"]) / jobs for tool in tools if tool != "floor"}
    extra = {}
    if "baseline" in tools:
        extra = {"engine_vs_baseline": wall["engine"] / wall["baseline"],
                 "baseline_peak_rss_kb": max(s["maxrss_kb"] for s in samples["baseline"]),
                 "baseline_cpu_ms": median("baseline", "user_ms") + median("baseline", "sys_ms")}
    file_ms = statistics.median(create_ms)
    return {**extra,
        "case": name,
        "file_create_ms": file_ms,
        # An estimate, for reading the result: what is left of the engine's overhead once the
        # files it must create per job are taken out at the probe's cost.
        "engine_overhead_less_files_ms": overhead["engine"] - FILES_PER_JOB * file_ms,
        "jobs": jobs,
        "parallel": parallel,
        "wall_ms": wall,
        "per_job_ms": per_job,
        "overhead_per_job_ms": overhead,
        "engine_vs_floor": wall["engine"] / wall["floor"],
        "engine_vs_make": wall["engine"] / wall["make"],
        "make_vs_floor": wall["make"] / wall["floor"],
        "engine_overhead_vs_make_overhead":
            overhead["engine"] / overhead["make"] if overhead["make"] > 0 else None,
        "engine_peak_rss_kb": max(s["maxrss_kb"] for s in samples["engine"]),
        "engine_cpu_ms": median("engine", "user_ms") + median("engine", "sys_ms"),
        "make_cpu_ms": median("make", "user_ms") + median("make", "sys_ms"),
        "samples": samples,
    }


def target(results, met):
    """True/False over the cases a target is about; None when none of them ran."""
    return all(met(r) for r in results) if results else None


def print_table(results):
    header = ("case", "jobs", "P", "floor ms/job", "make ms/job", "engine ms/job",
              "engine/floor", "engine/make", "ovh engine", "ovh make", "engine RSS MB")
    rows = []
    for r in results:
        rows.append((r["case"], str(r["jobs"]), str(r["parallel"]),
                     "%.3f" % r["per_job_ms"]["floor"], "%.3f" % r["per_job_ms"]["make"],
                     "%.3f" % r["per_job_ms"]["engine"], "%.2fx" % r["engine_vs_floor"],
                     "%.2fx" % r["engine_vs_make"],
                     "%.3f" % r["overhead_per_job_ms"]["engine"],
                     "%.3f" % r["overhead_per_job_ms"]["make"],
                     "%.1f" % (r["engine_peak_rss_kb"] / 1024.0)))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    fmt = "| " + " | ".join("%%-%ds" % w for w in widths) + " |"
    print(fmt % header)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(fmt % row)
    print("(ms/job = median wall time / jobs; ovh = (wall - floor wall) / jobs, in ms)")
    print()
    print("| case | file create us | %d files/job ms | ovh engine | ovh engine less its files |"
          " ovh make |" % FILES_PER_JOB)
    print("|------|----------------|-----------------|------------|---------------------------|"
          "----------|")
    for r in results:
        print("| %s | %.1f | %.3f | %.3f | %.3f | %.3f |" % (
            r["case"], r["file_create_ms"] * 1000, FILES_PER_JOB * r["file_create_ms"],
            r["overhead_per_job_ms"]["engine"], r["engine_overhead_less_files_ms"],
            r["overhead_per_job_ms"]["make"]))
    print("(file create: median ms per file of a probe creating %d files per job next to the "
          "engine's store after each engine run)" % FILES_PER_JOB)
    if any("engine_vs_baseline" in r for r in results):
        print()
        print("| case | engine ms/job | baseline ms/job | engine/baseline | ovh engine |"
              " ovh baseline | CPU engine ms | CPU baseline ms |")
        print("|------|---------------|-----------------|-----------------|------------|"
              "--------------|---------------|-----------------|")
        for r in results:
            print("| %s | %.3f | %.3f | %.2fx | %.3f | %.3f | %.0f | %.0f |" % (
                r["case"], r["per_job_ms"]["engine"], r["per_job_ms"]["baseline"],
                r["engine_vs_baseline"], r["overhead_per_job_ms"]["engine"],
                r["overhead_per_job_ms"]["baseline"], r["engine_cpu_ms"], r["baseline_cpu_ms"]))
        print("(CPU: median user+sys of the executor and its /bin/true children)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", required=True, help="the azkaban-executor binary")
    parser.add_argument("--driver", required=True, help="the bench_driver binary (bench/)")
    parser.add_argument("--baseline-executor",
                        help="another azkaban-executor build to run alongside (A/B)")
    parser.add_argument("--make", default=shutil.which("make") or "make")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per tool and case")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured runs first")
    parser.add_argument("--cases", default="startup,chain,fan-p2,fan-p8")
    parser.add_argument("--output", default=os.path.join(BENCH_DIR, "results",
                                                         "engine_overhead.json"))
    parser.add_argument("--work-dir", help="where projects and stores go (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated temp dir")
    args = parser.parse_args()
    args.executor = os.path.abspath(args.executor)
    args.driver = os.path.abspath(args.driver)
    if args.baseline_executor:
        args.baseline_executor = os.path.abspath(args.baseline_executor)

    fan = fan_dag(FAN_WIDTH)
    all_cases = {
        "startup": {"name": "startup", "dag": chain_dag(1), "parallel": 1, "stages": [1]},
        "chain": {"name": "chain", "dag": chain_dag(CHAIN_JOBS), "parallel": 1,
                  "stages": [1] * CHAIN_JOBS},
        "fan-p2": {"name": "fan-p2", "dag": fan, "parallel": 2, "stages": [1, FAN_WIDTH, 1]},
        "fan-p8": {"name": "fan-p8", "dag": fan, "parallel": 8, "stages": [1, FAN_WIDTH, 1]},
    }
    cases = [all_cases[c] for c in args.cases.split(",")]

    work = tempfile.mkdtemp(prefix="azx-bench-", dir=args.work_dir)
    try:
        results = [run_case(args, work, case) for case in cases]
    finally:
        if args.keep:
            print("kept " + work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print_table(results)
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    doc = {
        "benchmark": "engine_overhead",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(),
                 "kernel": platform.release(), "loadavg_after": load},
        "make_version": subprocess.run([args.make, "--version"], capture_output=True,
                                       text=True).stdout.splitlines()[0],
        "repeat": args.repeat,
        "warmup": args.warmup,
        # Paths relative to the repository, so a committed result names no machine's layout.
        "command": " ".join(os.path.relpath(a, REPO_DIR) if os.path.isabs(a) else a
                            for a in ["bench/engine_overhead.py"] + sys.argv[1:]),
        "targets": {"engine_overhead_at_most_make": target(
                        [r for r in results if r["case"] != "startup"],
                        lambda r: r["overhead_per_job_ms"]["engine"]
                        <= r["overhead_per_job_ms"]["make"]),
                    "fan_peak_rss_under_15mb": target(
                        [r for r in results if r["case"].startswith("fan")],
                        lambda r: r["engine_peak_rss_kb"] < 15 * 1024)},
        "results": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("targets: " + json.dumps(doc["targets"]))
    print("wrote " + args.output)


if __name__ == "__main__":
    main()
