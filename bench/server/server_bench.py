#!/usr/bin/python3
"""Server benchmarks of issue 3: start-up time, idle RSS, dispatch latency.

Everything runs against one private MariaDB (tests/integration/azkweb/mariadb.py) that this
script starts and removes itself; its start-up is not part of any figure.

  startup    process start (before Popen) -> own `executors` row active AND
             GET /executor?action=ping answered.  executor.activate.on.start=true.
             Two variants: "restart" (same port every time, so the row already exists) and
             "fresh" (a new port every time, so the row is inserted).  SIGTERM + wait after each.
  idle_rss   VmRSS / VmHWM from /proc/<pid>/status after the executor sat idle for
             --idle-seconds, plus the number of TCP connections it holds to the database
             (the pool size the executor opened eagerly), and again after the dispatch runs
             (what the pool opened lazily under load).
  dispatch   time.time_ns() just before the `execute` POST -> the CLOCK_REALTIME timestamp
             (date +%s%N) written by the flow's only job.  Executions are submitted like the
             web does (execution_flows row, flow_data), sequentially and with --concurrency
             workers; each worker waits for its execution to finish before the next one.

Standard library + python3-pymysql (+ yaml, which azkweb needs): run with /usr/bin/python3.
"""

import argparse
import copy
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(os.path.dirname(BENCH_DIR))
sys.path.insert(0, os.path.join(REPO_DIR, "tests", "integration"))

from azkweb import flowdata  # noqa: E402
from azkweb.executor_proc import (ExecutorProcess, _session_members,  # noqa: E402
                                  find_executor_binary, write_properties)
from azkweb.mariadb import MariaDB, free_port  # noqa: E402
from azkweb.procutil import die_with_parent  # noqa: E402
from azkweb.webdriver import WebDriver, call_executor  # noqa: E402

TARGETS = {"startup_p50_ms": 100.0, "idle_rss_mb": 20.0}


# -- statistics ------------------------------------------------------------------------------
def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def summary(values_ms):
    return {
        "n": len(values_ms),
        "min": round(min(values_ms), 2),
        "p50": round(statistics.median(values_ms), 2),
        "p90": round(pct(values_ms, 90), 2),
        "p99": round(pct(values_ms, 99), 2),
        "max": round(max(values_ms), 2),
        "mean": round(statistics.mean(values_ms), 2),
    }


# -- /proc helpers -----------------------------------------------------------------------------
def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "VmSize", "Threads"):
                out[key] = int(value.split()[0])
    return out


def db_connections(pid, db_port):
    """Established TCP connections of `pid` whose remote port is the database's."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/%d/net/tcp" % pid, "/proc/%d/net/tcp6" % pid):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    remote_port = int(cols[2].rsplit(":", 1)[1], 16)
                    if cols[3] == "01" and remote_port == db_port and cols[9] in inodes:
                        count += 1
        except OSError:
            pass
    return count


def schedstat(pid):
    """(ms on CPU, ms runnable but waiting for a CPU) summed over the live threads of pid."""
    run = wait = 0
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                a, b, _ = f.read().split()
            run += int(a)
            wait += int(b)
        except (OSError, ValueError):
            pass
    return {"cpu_ms": run / 1e6, "runqueue_wait_ms": wait / 1e6, "threads": len(tasks)}


def smaps_by_object(pid, top=12):
    """Rss (kB) per mapped file (anonymous mappings, heap and stacks grouped), largest first."""
    sizes, name = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                parts = line.split()
                name = parts[5] if len(parts) > 5 else "[anon]"
                if name.startswith("[stack"):
                    name = "[stack]"
                name = os.path.basename(name) if name.startswith("/") else name
            elif first == "Rss:":
                sizes[name] = sizes.get(name, 0) + int(line.split()[1])
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])
    return {"top": ranked[:top], "mapped_objects": len(sizes),
            "rest_kb": sum(v for _, v in ranked[top:])}


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


# -- executor process --------------------------------------------------------------------------
def ping(port, timeout=0.5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/executor?action=ping")
        resp = conn.getresponse()
        body = resp.read()
        return resp.status == 200 and b"alive" in body
    except OSError:
        return False
    finally:
        conn.close()


class Launch:
    """One executor working directory; start() measures the time to 'ready'."""

    def __init__(self, binary, db, base, name, extra):
        # ExecutorProcess only for its property set; the start is timed here.
        self.ep = ExecutorProcess(binary, db, base, name, poll=False, extra=extra)
        self.binary = binary
        self.proc = None
        self._out = None

    def prepare(self):
        ep = self.ep
        os.makedirs(ep.confdir, exist_ok=True)
        plugin_dir = os.path.join(ep.workdir, "plugins", "jobtypes")
        os.makedirs(plugin_dir, exist_ok=True)
        with open(os.path.join(plugin_dir, "commonprivate.properties"), "w") as f:
            f.write("execute.as.user=false\n")
        write_properties(os.path.join(ep.confdir, "azkaban.properties"), ep.properties())

    def start_timed(self, port, dbconn, timeout=20.0, sleep_s=0.0005):
        """Returns ms from just before Popen to 'row active AND ping answered'."""
        ep = self.ep
        log = os.path.join(ep.workdir, "executor.out")
        self._out = open(log, "wb")
        with dbconn.cursor() as cur:
            t0 = time.perf_counter_ns()
            self.proc = subprocess.Popen([self.binary, "serve", "--conf", ep.confdir],
                                         cwd=ep.workdir, stdout=self._out,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=die_with_parent)
            t_spawned = time.perf_counter_ns()
            self.wall_spawned = time.time_ns()
            t_ping = None
            deadline = time.monotonic() + timeout
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError("executor exited with %s:\n%s" % (
                        self.proc.returncode, open(log, errors="replace").read()[-3000:]))
                if time.monotonic() > deadline:
                    raise RuntimeError("executor not ready after %.0f s" % timeout)
                if t_ping is None:
                    if ping(port):
                        t_ping = time.perf_counter_ns()
                # The row is activated after the listener is up (executor_server.cc), so the
                # row is polled once ping answers: the first active read is "both true".
                if t_ping is not None:
                    cur.execute("SELECT active FROM executors WHERE host=%s AND port=%s",
                                ("127.0.0.1", port))
                    row = cur.fetchone()
                    if row and row[0]:
                        t_ready = time.perf_counter_ns()
                        sched = schedstat(self.proc.pid)
                        break
                time.sleep(sleep_s)
        return {"ready_ms": (t_ready - t0) / 1e6, "ping_ms": (t_ping - t0) / 1e6,
                "spawn_ms": (t_spawned - t0) / 1e6,
                "ready_from_exec_ms": (t_ready - t_spawned) / 1e6,
                "sched": sched,
                "wall_spawned_ns": self.wall_spawned,
                "wall_ready_ns": self.wall_spawned + (t_ready - t_spawned)}

    def stop(self, timeout=30.0):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        for pid in _session_members(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._out:
            self._out.close()
            self._out = None
        rc = self.proc.returncode
        self.proc = None
        return rc


LOG_MARKS = (("first log line", None), ("listening", "listening on port"),
             ("own row fetched/inserted", "executor id "), ("row activated", "activated at start"))


def log_breakdown(log_text, wall_spawned_ns, wall_ready_ns):
    """ms after exec (Popen returned) of the executor's log lines (spdlog local time, 1 ms)."""
    import datetime
    marks = {}
    for line in log_text.splitlines():
        if not line.startswith("[") or "] [" not in line:
            continue
        try:
            ts = datetime.datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S.%f").timestamp()
        except ValueError:
            continue
        for name, needle in LOG_MARKS:
            if name not in marks and (needle is None or needle in line):
                marks[name] = round(ts * 1e3 - wall_spawned_ns / 1e6, 1)
    marks["ready seen by the bench"] = round((wall_ready_ns - wall_spawned_ns) / 1e6, 1)
    return marks


def bench_startup(binary, db, base, starts, fresh):
    extra = {"executor.activate.on.start": "true", "executor.shutdown.linger.ms": "0",
             "mysql.numconnections": "10"}
    port = free_port()
    samples, logs, stop_failures = [], None, []
    dbconn = db.connect()
    try:
        for i in range(starts):
            if fresh:
                port = free_port()
            extra["executor.port"] = str(port)
            launch = Launch(binary, db, base, "startup-%s" % ("fresh" if fresh else "restart"),
                            extra)
            launch.prepare()
            try:
                samples.append(launch.start_timed(port, dbconn))
            finally:
                t_stop = time.monotonic()
                rc = launch.stop(timeout=10.0)
                stop_ms = (time.monotonic() - t_stop) * 1e3
            with open(os.path.join(launch.ep.workdir, "executor.out"), errors="replace") as f:
                text = f.read()
            samples[-1]["marks"] = log_breakdown(text, samples[-1]["wall_spawned_ns"],
                                                 samples[-1]["wall_ready_ns"])
            samples[-1]["stop_ms"] = stop_ms
            if rc not in (0, -signal.SIGTERM):
                print("  warning: start %d: executor exited with %s after SIGTERM (%.0f ms)"
                      % (i, rc, stop_ms), file=sys.stderr)
                stop_failures.append({"start": i, "rc": rc, "stop_ms": round(stop_ms),
                                      "log_tail": text.splitlines()[-15:]})
            with open(os.path.join(launch.ep.workdir, "executor.out"), errors="replace") as f:
                logs = f.read()
    finally:
        dbconn.close()
    ready = [s["ready_ms"] for s in samples]
    return {"variant": "fresh-port (row inserted)" if fresh else "restart (row exists)",
            "ready_ms": summary(ready),
            "ping_ms": summary([s["ping_ms"] for s in samples]),
            "popen_ms": summary([s["spawn_ms"] for s in samples]),
            "ready_from_exec_ms": summary([s["ready_from_exec_ms"] for s in samples]),
            "log_marks_median_ms": {k: round(statistics.median(s["marks"][k] for s in samples
                                                                if k in s["marks"]), 1)
                                    for k in samples[0]["marks"]},
            "samples_ms": [round(x, 2) for x in ready],
            "sigterm_to_exit_ms": summary([s["stop_ms"] for s in samples]),
            "stop_failures": stop_failures,
            "at_ready_cpu_ms": summary([s["sched"]["cpu_ms"] for s in samples if s["sched"]]),
            "at_ready_runqueue_wait_ms": summary([s["sched"]["runqueue_wait_ms"]
                                                  for s in samples if s["sched"]]),
            "threads_at_ready": statistics.median(s["sched"]["threads"] for s in samples
                                                  if s["sched"]),
            "last_log": logs.splitlines()[:12] if logs else []}


# -- dispatch ----------------------------------------------------------------------------------
FLOW_YAML = """\
nodes:
  - name: start
    type: command
    config:
      command: bash -c 'date +%%s%%N > %s/started.$JOB_NAME.${azkaban.flow.execid}'
"""


def make_project(root, stamp_dir):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "bench.project"), "w") as f:
        f.write("azkaban-flow-version: 2.0\n")
    with open(os.path.join(root, "bench.flow"), "w") as f:
        f.write(FLOW_YAML % stamp_dir)


def read_stamp(path, timeout=30.0, sleep_s=0.0005):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return int(text.strip())
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("no start stamp %s" % path)
        time.sleep(sleep_s)


FINISHED = tuple(flowdata.STATUS_CODES[s] for s in ("SUCCEEDED", "FAILED", "KILLED"))


def wait_finished(web, exec_id, timeout=60.0, sleep_s=0.003):
    deadline = time.monotonic() + timeout
    while True:
        rows = web.query("SELECT status FROM execution_flows WHERE exec_id=%s", (exec_id,))
        if rows and rows[0][0] in FINISHED:
            return rows[0][0]
        if time.monotonic() > deadline:
            raise TimeoutError("execution %s did not finish" % exec_id)
        time.sleep(sleep_s)


def one_dispatch(web, executor, template, stamp_dir, sleep_s):
    flow = copy.deepcopy(template)
    flow["submitTime"] = None
    exec_id = web.submit(flow, push=True)
    web.execute("UPDATE execution_flows SET executor_id=%s WHERE exec_id=%s",
                (executor.id, exec_id))
    t_sent = time.time_ns()
    reply = call_executor(executor, "execute", exec_id)
    t_reply = time.time_ns()
    if reply != {}:
        raise RuntimeError("execute %s replied %r" % (exec_id, reply))
    stamp = read_stamp(os.path.join(stamp_dir, "started.start.%d" % exec_id), sleep_s=sleep_s)
    status = wait_finished(web, exec_id, sleep_s=max(sleep_s, 0.003))
    if status != flowdata.STATUS_CODES["SUCCEEDED"]:
        raise RuntimeError("execution %s ended with status %s" % (exec_id, status))
    return {"exec_id": exec_id, "job_start_ms": (stamp - t_sent) / 1e6,
            "execute_reply_ms": (t_reply - t_sent) / 1e6}


def bench_dispatch(db, executor, template, stamp_dir, count, concurrency, warmup):
    results, errors = [], []
    lock = threading.Lock()
    todo = {"left": count + warmup}
    sleep_s = 0.0005 if concurrency == 1 else 0.002

    def worker():
        web = WebDriver(db)
        try:
            while True:
                with lock:
                    if todo["left"] <= 0 or errors:
                        return
                    todo["left"] -= 1
                try:
                    r = one_dispatch(web, executor, template, stamp_dir, sleep_s)
                except Exception as e:  # noqa: BLE001 - reported, stops the run
                    with lock:
                        errors.append(repr(e))
                    return
                with lock:
                    results.append(r)
        finally:
            web.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=1200)
    wall = time.monotonic() - t0
    if errors:
        raise RuntimeError("dispatch run failed: %s" % errors[:3])
    results.sort(key=lambda r: r["exec_id"])
    measured = results[warmup:]
    return {"concurrency": concurrency, "warmup_excluded": warmup,
            "job_start_ms": summary([r["job_start_ms"] for r in measured]),
            "execute_reply_ms": summary([r["execute_reply_ms"] for r in measured]),
            "wall_s": round(wall, 2),
            "throughput_per_s": round(len(results) / wall, 1)}


def bash_floor(tmp, reps=50):
    """The job's own cost: posix_spawn of the same bash+date command -> its stamp."""
    path = os.path.join(tmp, "floor.stamp")
    vals = []
    argv = ["bash", "-c", "date +%%s%%N > %s" % path]
    bash = shutil.which("bash")
    for _ in range(reps):
        t0 = time.time_ns()
        pid = os.posix_spawn(bash, argv, os.environ)
        os.waitpid(pid, 0)
        with open(path) as f:
            vals.append((int(f.read().strip()) - t0) / 1e6)
    return summary(vals)


# -- main --------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--executor", default=None,
                    help="azkaban-executor binary (default: newest build*/src/cli one)")
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--executions", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8, help="0 skips the concurrent run")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--idle-seconds", type=float, default=2.0)
    ap.add_argument("--numconnections", type=int, default=10)
    ap.add_argument("--out", default=os.path.join(BENCH_DIR, "results.json"))
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()

    binary = args.executor or find_executor_binary()
    if not binary or not os.access(binary, os.X_OK):
        sys.exit("no azkaban-executor binary (use --executor)")
    binary = os.path.abspath(binary)
    base = tempfile.mkdtemp(prefix="azx-srvbench-")
    out = {"benchmark": "server", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "host": {"cpus": os.cpu_count(), "machine": platform.machine(),
                    "kernel": platform.release(), "loadavg_before": loadavg()},
           "binary": binary,
           "command": " ".join(["bench/server/server_bench.py"] + sys.argv[1:]),
           "targets": {}}
    try:
        out["git"] = subprocess.run(["git", "-C", REPO_DIR, "rev-parse", "--short", "HEAD"],
                                    stdout=subprocess.PIPE, text=True).stdout.strip()
    except OSError:
        pass
    db = MariaDB()
    db.setup()
    server = None
    try:
        # 1. start-up
        out["startup"] = []
        for fresh in (False, True):
            db.clear_tables(["executors"])
            print("start-up (%s) x%d ..." % ("fresh port" if fresh else "restart", args.starts),
                  flush=True)
            out["startup"].append(bench_startup(binary, db, base, args.starts, fresh))

        # 2. idle RSS (the server that then takes the dispatches)
        db.clear_tables()
        server = ExecutorProcess(binary, db, base, "server", poll=False, extra={
            "executor.activate.on.start": "true",
            "mysql.numconnections": str(args.numconnections),
            "executor.shutdown.linger.ms": "0"})
        server.start()
        web = WebDriver(db)
        executor = server.row(web)
        if executor is None or not executor.active:
            raise RuntimeError("server row missing or inactive: %r" % (executor,))
        time.sleep(args.idle_seconds)
        pid = server.proc.pid
        st = proc_status(pid)
        out["idle"] = {"numconnections": args.numconnections, "idle_s": args.idle_seconds,
                       "status_kb": st, "db_connections": db_connections(pid, db.port),
                       "rss_by_object_kb": smaps_by_object(pid)}
        print("idle: VmRSS %d kB, VmHWM %d kB, %d DB connections, %d threads"
              % (st["VmRSS"], st["VmHWM"], out["idle"]["db_connections"], st["Threads"]),
              flush=True)

        # 3. dispatch latency
        stamp_dir = os.path.join(base, "stamps")
        os.makedirs(stamp_dir)
        proj = os.path.join(base, "project-src")
        make_project(proj, stamp_dir)
        pid_, ver = web.upload_project("srvbench", proj)
        template = web.build_flow_data(proj, "bench", pid_, "srvbench", ver)
        out["dispatch"] = []
        for conc in [1] + ([args.concurrency] if args.concurrency > 1 else []):
            print("dispatch x%d, concurrency %d ..." % (args.executions, conc), flush=True)
            out["dispatch"].append(bench_dispatch(db, executor, template, stamp_dir,
                                                  args.executions, conc, args.warmup))
            st = proc_status(pid)
            out["dispatch"][-1]["after"] = {"status_kb": st,
                                            "db_connections": db_connections(pid, db.port)}
        out["bash_date_floor_ms"] = bash_floor(base)
        web.close()
    finally:
        try:
            if server is not None:
                server.stop(signal.SIGTERM, timeout=30)
        finally:
            db.teardown()
            if not args.keep:
                shutil.rmtree(base, ignore_errors=True)
    out["host"]["loadavg_after"] = loadavg()
    s50 = out["startup"][0]["ready_ms"]["p50"]
    e50 = out["startup"][0]["ready_from_exec_ms"]["p50"]
    out["targets"] = {"startup_p50_under_100ms": s50 < TARGETS["startup_p50_ms"],
                      "startup_from_exec_p50_under_100ms": e50 < TARGETS["startup_p50_ms"],
                      "idle_rss_under_20mb": out["idle"]["status_kb"]["VmRSS"] / 1024.0
                      < TARGETS["idle_rss_mb"]}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print_table(out)


def print_table(out):
    print()
    print("| metric | p50 | p90 | p99 | max | n |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in out["startup"]:
        r = s["ready_ms"]
        print("| start-up to ready, %s (ms) | %.1f | %.1f | %.1f | %.1f | %d |"
              % (s["variant"], r["p50"], r["p90"], r["p99"], r["max"], r["n"]))
        for key, label in (("ping_ms", "of which to first ping answer"),
                           ("popen_ms", "of which Python Popen (fork+exec, harness)"),
                           ("ready_from_exec_ms", "ready counted from exec (Popen returned)")):
            r = s[key]
            print("| &nbsp; %s (ms) | %.1f | %.1f | %.1f | %.1f | %d |"
                  % (label, r["p50"], r["p90"], r["p99"], r["max"], r["n"]))
    for d in out["dispatch"]:
        r = d["job_start_ms"]
        print("| execute -> job started, concurrency %d (ms) | %.1f | %.1f | %.1f | %.1f | %d |"
              % (d["concurrency"], r["p50"], r["p90"], r["p99"], r["max"], r["n"]))
        r = d["execute_reply_ms"]
        print("| &nbsp; execute reply, concurrency %d (ms) | %.1f | %.1f | %.1f | %.1f | %d |"
              % (d["concurrency"], r["p50"], r["p90"], r["p99"], r["max"], r["n"]))
    r = out["bash_date_floor_ms"]
    print("| floor: posix_spawn bash -c date -> stamp (ms) | %.1f | %.1f | %.1f | %.1f | %d |"
          % (r["p50"], r["p90"], r["p99"], r["max"], r["n"]))
    print()
    for s in out["startup"]:
        print("start-up %s, median ms after exec: %s" % (s["variant"], s["log_marks_median_ms"]))
        print("  at ready (all threads, median): %.1f ms on CPU, %.1f ms runnable waiting for "
              "a CPU, %d threads" % (s["at_ready_cpu_ms"]["p50"],
                                     s["at_ready_runqueue_wait_ms"]["p50"],
                                     s["threads_at_ready"]))
    i = out["idle"]
    print("idle (%.0f s, numconnections=%d): VmRSS %.1f MB, VmHWM %.1f MB (RssAnon %.1f, "
          "RssFile %.1f MB), %d threads, %d DB connections open"
          % (i["idle_s"], i["numconnections"], i["status_kb"]["VmRSS"] / 1024.0,
             i["status_kb"]["VmHWM"] / 1024.0, i["status_kb"]["RssAnon"] / 1024.0,
             i["status_kb"]["RssFile"] / 1024.0, i["status_kb"]["Threads"], i["db_connections"]))
    print("idle Rss by mapping (kB):", ", ".join("%s %d" % kv
                                                 for kv in i["rss_by_object_kb"]["top"]),
          "; %d more objects %d" % (i["rss_by_object_kb"]["mapped_objects"] - 12,
                                     i["rss_by_object_kb"]["rest_kb"]))
    for d in out["dispatch"]:
        a = d["after"]
        print("after concurrency-%d run: VmRSS %.1f MB, VmHWM %.1f MB, %d DB connections, "
              "%.1f executions/s"
              % (d["concurrency"], a["status_kb"]["VmRSS"] / 1024.0,
                 a["status_kb"]["VmHWM"] / 1024.0, a["db_connections"], d["throughput_per_s"]))
    print("targets:", out["targets"])


if __name__ == "__main__":
    main()
