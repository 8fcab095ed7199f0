"""Rolling replacement of executors while the web keeps dispatching (issue 5, item 4).

A set of three executors on a private MariaDB is replaced one by one, each replacement on a
new host (another 127.x address where the kernel allows it) and a new port, the way an ECS
rolling deployment replaces tasks. Meanwhile a dispatcher thread plays the 3.81 web server:
it keeps submitting a short flow, re-reads the active `executors` rows before every choice
(as after `reloadExecutors`), dispatches with `action=execute`, and on a failed dispatch
un-assigns and tries the next executor. An updater thread polls `update` and finalises like
RunningExecutionsUpdater. Old executors get SIGTERM (drain, row deleted, exit 0); one gets
SIGKILL instead and is cleaned up with the documented step, `azkaban-executor executors prune`.

What is shown:
1. no dispatch is attempted to an executor once it is dead and its replacement active (for
   the SIGKILLed one: once prune has run), i.e. the table a `reloadExecutors` reads no longer
   offers it; failed dispatches fail over to another executor;
2. the `executors` table ends with exactly the active rows of the live executors;
3. every execution ever created ends SUCCEEDED, except those that were unfinished on the
   SIGKILLed executor, which prune finalised as FAILED; none stays PREPARING/RUNNING, none was
   lost or ran twice, `execution_jobs` agrees;
4. `executors list` reports the same rows as alive (and the SIGKILLed one as dead before prune).

A second test runs prune while a web's `execute` to the dead executor hangs: prune must leave
that never-started execution to the web, which then dispatches it to a live executor.

There are no timing assertions: every wait is for a condition, bounded, with a message.
"""

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import unittest

from azkweb import flowdata, waiting
from azkweb.dispatcher import Dispatcher, Timeline
from azkweb.executor_proc import ExecutorProcess, require_serve, write_properties
from azkweb.flowdata import STATUS_CODES, WEB_FINISHED_CODES
from azkweb.mariadb import MariaDB
from azkweb.webdriver import ExecutorCallError, Updater, WebDriver, call_executor, now_ms

BIN = None
DB = None

SUCCEEDED, FAILED = STATUS_CODES["SUCCEEDED"], STATUS_CODES["FAILED"]
FLOW_JOBS = ("a", "b", "c", "end")
CREATE_INTERVAL = 0.2  # s between submissions: 5 executions/s of ~1.3 s each
KILLED_INDEX = 1  # which of the three old executors gets SIGKILL instead of SIGTERM
WAIT = 30.0  # bound of every condition wait


def setUpModule():  # noqa: N802 - unittest naming
    global BIN, DB
    BIN = require_serve()
    DB = MariaDB().setup()


def tearDownModule():  # noqa: N802
    if DB is not None:
        DB.teardown()


def loopback_hosts(n):
    """n distinct loopback host names; 127.0.0.1 for all where other 127.x cannot be bound."""
    hosts = ["127.0.0.%d" % (11 + i) for i in range(n)]
    try:
        for h in hosts:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((h, 0))
        return hosts
    except OSError:
        return ["127.0.0.1"] * n


def wait_for(predicate, what, timeout=WAIT, interval=0.05):
    return waiting.wait_for(predicate, timeout, what, interval)


class RotationTest(unittest.TestCase):
    def setUp(self):
        DB.clear_tables()
        self.tmp = tempfile.mkdtemp(prefix="azx-rotation-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.web = WebDriver(DB)
        self.addCleanup(self.web.close)
        self.hosts = iter(loopback_hosts(7))
        self.ops_conf = os.path.join(self.tmp, "ops-conf")
        os.makedirs(self.ops_conf)
        # What the scheduled prune task needs: only the database keys.
        write_properties(os.path.join(self.ops_conf, "azkaban.properties"), DB.props())

    # -- executors ---------------------------------------------------------------------------
    def start_executor(self, name):
        host = next(self.hosts)
        proc = ExecutorProcess(BIN, DB, self.tmp, name, host=host, extra={
            # The rolling-deploy configuration of README.md: activate at start, drain on
            # SIGTERM; listen on the loopback address that is also the row's host.
            "executor.activate.on.start": "true",
            "executor.shutdown.grace.seconds": "60",
            "executor.bind.address": host,
        })
        self.addCleanup(self._cleanup_executor, proc)
        proc.start()
        return proc

    def _cleanup_executor(self, proc):
        if proc.alive():
            proc.stop(signal.SIGTERM, timeout=30)
        else:
            proc.stop()

    def wait_ready(self, proc):
        """Row present and active, ping answers: the replacement is active."""
        def ready():
            row = proc.row(self.web)
            if row is None or not row.active:
                return None
            try:
                return row if call_executor(proc.endpoint(), "ping") == {"status": "alive"} \
                    else None
            except (ExecutorCallError, OSError):
                return None
        return wait_for(ready, "executor %s:%s active and answering ping"
                        % (proc.host, proc.port))

    def wait_running_on(self, row):
        """Exec ids of executions that executor `row` is running (job `a` or `b` RUNNING)."""
        def running():
            ids = [r[0] for r in self.web.query(
                "SELECT exec_id FROM execution_jobs WHERE status=%s AND job_id IN ('a', 'b') "
                "AND exec_id IN (SELECT exec_id FROM execution_flows WHERE executor_id=%s)",
                (STATUS_CODES["RUNNING"], row.id))]
            return sorted(ids)
        return wait_for(running, "an execution running on executor %d" % row.id)

    def cli(self, *args):
        out = subprocess.run([BIN, "executors"] + list(args) + ["--conf", self.ops_conf],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                             check=False)
        self.assertEqual(out.returncode, 0, "executors %s failed:\n%s%s" % (
            " ".join(args), out.stdout.decode(errors="replace"),
            out.stderr.decode(errors="replace")))
        return out.stdout.decode()

    def executors_list(self):
        return json.loads(self.cli("list", "--output", "json", "--timeout-ms", "3000"))

    # -- the project ---------------------------------------------------------------------------
    def project(self):
        runs = os.path.join(self.tmp, "runs.txt")
        root = os.path.join(self.tmp, "projects-src", "rotation")
        os.makedirs(root)
        files = {
            "a.job": "type=command\ncommand=sleep 0.3\n",
            "b.job": "type=command\ncommand=bash -c 'sleep 0.5; echo b-done'\ndependencies=a\n",
            "c.job": "type=command\ncommand=sleep 0.2\ndependencies=a\n",
            "end.job": "type=command\ncommand=bash -c 'echo ${azkaban.flow.execid} >> %s'\n"
                       "dependencies=b,c\n" % runs,
            # Pinned to the executor that will be SIGKILLed, so that one surely dies mid-run.
            "hold.job": "type=command\ncommand=sleep 120\n",
        }
        for rel, text in files.items():
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        pid, ver = self.web.upload_project("rotation", root, uploader="tester")
        self.src, self.pid, self.ver, self.runs = root, pid, ver, runs

    def build(self, flow_name="end", **options):
        """A fresh flow_data document as the web builds it at submission."""
        return self.web.build_flow_data(self.src, flow_name, self.pid, "rotation", self.ver,
                                        submit_user="tester", **options)

    # -- the test ------------------------------------------------------------------------------
    def test_rolling_replacement_while_dispatching(self):
        self.project()
        build, runs = self.build, self.runs
        old = [self.start_executor("old%d" % i) for i in range(3)]
        old_rows = [self.wait_ready(p) for p in old]

        timeline = Timeline()
        updater = Updater(WebDriver(DB))
        dispatcher = Dispatcher(DB, timeline, updater, build, interval=CREATE_INTERVAL)
        updater.start(interval=0.5)
        self.addCleanup(updater.stop)
        dispatcher.start()
        self.addCleanup(dispatcher.stop)

        def dispatched_to(row):
            return wait_for(lambda: dispatcher.attempts_to(row.id, ok=True),
                            "a successful dispatch to executor %d" % row.id)

        for row in old_rows:
            dispatched_to(row)

        new_rows, killed_row, canary, prune_out, listing_after_kill = [], None, None, None, None
        killed_at = None
        for i, (proc, row) in enumerate(zip(old, old_rows)):
            repl = self.start_executor("new%d" % i)
            repl_row = self.wait_ready(repl)
            self.assertNotIn((repl_row.host, repl_row.port), [(r.host, r.port) for r in old_rows])
            new_rows.append(repl_row)
            timeline.mark("replacement active", repl_row.id, "replaces %d" % row.id)
            dispatched_to(repl_row)  # the web reaches the new executor at once
            if i != KILLED_INDEX:
                # SIGTERM while it runs something, so that the drain has work to finish.
                draining = self.wait_running_on(row)
                timeline.mark("sigterm", row.id, "running %s" % draining)
                rc = proc.stop(signal.SIGTERM, timeout=90)
                self.assertEqual(rc, 0, "drain of executor %d did not exit 0:\n%s"
                                 % (row.id, proc.output()))
                self.assertIsNone(proc.row(self.web), "executor %d left its row" % row.id)
                timeline.mark("dead", row.id)
                continue
            # SIGKILL while it surely runs something: a long execution pinned to it.
            killed_row = row
            flow = build("hold", flowParameters={"useExecutor": str(row.id)})
            canary = self.web.submit(flow, push=True)
            dispatcher.enqueue_front(canary, flow)
            self.web.wait_node_status(canary, "hold", ("RUNNING",), timeout=WAIT)
            self.assertEqual(proc.kill(), -signal.SIGKILL)
            killed_at = now_ms()  # nothing of it can be written after this
            timeline.mark("sigkill", row.id)
            # The stale row: still active, does not answer.
            listing_after_kill = {e["id"]: e for e in self.executors_list()}
            # The dispatcher still picks it (its row is active): the dispatch fails over.
            wait_for(lambda: dispatcher.attempts_to(row.id, ok=False),
                     "a failed dispatch to the SIGKILLed executor %d" % row.id)
            prune_out = self.cli("prune", "--timeout-ms", "3000")
            timeline.mark("dead", row.id, "pruned")

        self.assertTrue(dispatcher.finish(timeout=WAIT),
                        "dispatch queue not drained: %s" % dispatcher.queue_snapshot())
        self.assertEqual(dispatcher.thread_errors, [])
        created = list(dispatcher.created)
        self.assertEqual(set(created), set(dispatcher.dispatched) | set(dispatcher.gave_up))
        updater.wait_done(created, timeout=60)
        updater.stop()
        self.assertEqual(updater.protocol_errors, [])
        report = self.report(dispatcher, timeline)

        # (1) Nobody chose a dead executor.
        for ex_row in old_rows:
            dead = timeline.seq_of("dead", ex_row.id)
            self.assertLess(timeline.seq_of("replacement active", new_rows[old_rows.index(ex_row)]
                                            .id), dead)
            late = [a for a in dispatcher.attempts_to(ex_row.id) if a["seq"] > dead]
            self.assertEqual(late, [], "dispatched to executor %d after it was dead\n%s"
                             % (ex_row.id, report))
        # Failed dispatches (to the SIGKILLed one at least) were retried elsewhere at once.
        failed = [a for a in dispatcher.attempts if not a["ok"]]
        self.assertTrue(any(a["executor_id"] == killed_row.id for a in failed), report)
        self.assertEqual(dispatcher.gave_up, [], report)
        for a in failed:
            self.assertIn(a["exec_id"], dispatcher.dispatched, report)
            if a["executor_id"] == killed_row.id:
                self.assertNotEqual(dispatcher.dispatched[a["exec_id"]].id, killed_row.id)

        # (2) Exactly the live executors' rows, all active.
        live = sorted((r.id, r.host, r.port, 1) for r in new_rows)
        self.assertEqual(sorted(tuple(r) for r in self.web.executor_rows()), live, report)

        # (4) `executors list` agrees; before prune it showed the SIGKILLed row as dead.
        listed = sorted((e["id"], e["host"], e["port"], int(e["active"]), e["alive"])
                        for e in self.executors_list())
        self.assertEqual(listed, [r + (True,) for r in live])
        k = listing_after_kill[killed_row.id]
        self.assertEqual((k["active"], k["alive"]), (True, False), listing_after_kill)
        for r in old_rows + new_rows:
            if r.id != killed_row.id and r.id in listing_after_kill:
                self.assertTrue(listing_after_kill[r.id]["alive"], listing_after_kill)
        self.assertIn("executor %d %s:%d (active=1): no answer"
                      % (killed_row.id, killed_row.host, killed_row.port), prune_out)
        self.assertIn("pruned 1 of", prune_out, prune_out)

        # (3) Every execution reached a final status; what ran where agrees.
        pruned = {int(line.split()[1]) for line in prune_out.splitlines()
                  if line.strip().startswith("execution ") and "finalised as FAILED" in line}
        self.assertIn(canary, pruned, prune_out)
        rows = {e: self.wait_final(e) for e in created}
        stored = self.web.query("SELECT exec_id FROM execution_flows")
        self.assertEqual(sorted(r[0] for r in stored), sorted(created),
                         "executions nobody created, or lost ones")
        with open(runs) as f:
            ran = collections.Counter(int(x) for x in f.read().split())
        self.assertEqual([e for e, n in ran.items() if n > 1], [], "executions that ran twice")
        for exec_id, row in rows.items():
            target = dispatcher.dispatched[exec_id]
            self.assertEqual(row["executor_id"], target.id, exec_id)
            fd = row["flow_data"]
            self.assertEqual(fd["status"], flowdata.STATUS_NAMES[row["status"]], exec_id)
            jobs = self.web.job_rows(exec_id)
            keys = [(j["job_id"], j["attempt"]) for j in jobs]
            self.assertEqual(len(keys), len(set(keys)), "duplicate job rows in %d" % exec_id)
            if target.id == killed_row.id and row["status"] != SUCCEEDED:
                # Unfinished on the SIGKILLed executor: FAILED, by prune or (never started,
                # PREPARING) by the web once prune had deleted the row, as in 3.81.
                self.assertEqual(row["status"], FAILED, exec_id)
                if exec_id not in pruned:
                    self.assertEqual(row["start_time"], -1, "started execution %d on the "
                                     "SIGKILLed executor not finalised by prune" % exec_id)
                    self.assertEqual(updater.finalized[exec_id][0], "executor row gone")
                for node in fd["nodes"]:
                    self.assertNotIn(node["status"], ("RUNNING", "QUEUED", "READY", "PREPARING"),
                                     (exec_id, node["id"]))
                for j in jobs:
                    self.assertIn(j["status"], WEB_FINISHED_CODES,
                                  "job row %s of execution %d on the SIGKILLed executor left "
                                  "unfinished" % (j["job_id"], exec_id))
                    self.assertGreaterEqual(j["end_time"], j["start_time"])
                continue
            self.assertNotIn(exec_id, pruned)
            if target.id == killed_row.id:
                self.assertLessEqual(row["end_time"], killed_at, "SUCCEEDED after SIGKILL?")
            # Everything else ran to the end, on a healthy or a draining executor.
            self.assertEqual(row["status"], SUCCEEDED, "execution %d on executor %d: %s"
                             % (exec_id, target.id, flowdata.node_statuses(fd)))
            self.assertEqual(set(flowdata.node_statuses(fd).values()), {"SUCCEEDED"})
            self.assertEqual(sorted((j["job_id"], j["attempt"], j["status"]) for j in jobs),
                             [(j, 0, SUCCEEDED) for j in FLOW_JOBS], exec_id)
            for j in jobs:
                self.assertGreater(j["start_time"], 0)
                self.assertGreaterEqual(j["end_time"], j["start_time"])
            self.assertEqual(ran[exec_id], 1, "end job of %d did not run exactly once" % exec_id)
        self.assertTrue(set(ran) <= set(rows), "runs of unknown executions")
        self.assertEqual(self.web.query("SELECT COUNT(*) FROM active_executing_flows")[0][0], 0)
        # Every old executor did real work, drained or killed mid-run.
        for r in old_rows:
            self.assertTrue(any(d.id == r.id for d in dispatcher.dispatched.values()))
        if os.environ.get("AZX_ROTATION_VERBOSE"):
            print("\n" + report)
        print("\n  rotation: %d executions, %d dispatch attempts (%d failed over), "
              "%d finalised by prune; hosts %s"
              % (len(created), len(dispatcher.attempts), len(failed), len(pruned),
                 sorted({r.host for r in old_rows + new_rows})))

    def test_prune_leaves_an_in_flight_dispatch_to_the_web(self):
        """prune runs while a web's `execute` to the dead executor hangs: it finalises what the
        dead executor had started, but not the execution being dispatched, which the web then
        sends to the next executor (failing it would make that one run a FAILED flow)."""
        self.project()
        live = self.start_executor("live")
        live_row = self.wait_ready(live)
        dead = self.start_executor("dead")
        dead_row = self.wait_ready(dead)
        hold = self.web.submit(self.build("hold"), push=True)
        self.assertEqual(self.web.dispatch(hold, dead_row), {})
        self.web.wait_node_status(hold, "hold", ("RUNNING",), timeout=WAIT)
        self.assertEqual(dead.kill(), -signal.SIGKILL)
        # Its address now accepts connections and never answers, like a hung host: the web's
        # `execute` (no read timeout in 3.81) waits there while prune runs.
        hung = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(hung.close)
        hung.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hung.bind((dead_row.host, dead_row.port))
        hung.listen(8)

        exec_id = self.web.submit(self.build("end"), push=True)
        outcome = {"errors": []}

        def web_dispatch():  # the queue processor: the stale active row first, then the next
            web = WebDriver(DB)
            try:
                for target in (dead_row, live_row):
                    try:
                        web.dispatch(exec_id, target)
                        outcome["ran_on"] = target.id
                        return
                    except (ExecutorCallError, OSError) as e:
                        outcome["errors"].append((target.id, repr(e)))
            finally:
                web.close()

        thread = threading.Thread(target=web_dispatch, name="web-dispatch", daemon=True)
        thread.start()
        self.web.wait_row(exec_id, lambda r: r["executor_id"] == dead_row.id, WAIT,
                          what="execute in flight to the dead executor")
        out = self.cli("prune", "--timeout-ms", "1000")
        self.assertIn("execution %d (RUNNING) finalised as FAILED" % hold, out)
        self.assertIn("execution %d not finalised: never started" % exec_id, out)
        self.assertIn("pruned 1 of 2", out)
        self.assertEqual(self.web.execution_row(exec_id)["status"], STATUS_CODES["PREPARING"])
        hung.close()  # the hanging `execute` fails (reset); the web tries the next executor
        thread.join(WAIT)
        self.assertFalse(thread.is_alive(), "the web's dispatch thread did not finish")
        self.assertEqual(outcome.get("ran_on"), live_row.id, outcome)
        self.assertEqual([e for e, _ in outcome["errors"]], [dead_row.id], outcome)

        row = self.wait_final(exec_id)
        self.assertEqual((row["status"], row["executor_id"]), (SUCCEEDED, live_row.id),
                         flowdata.node_statuses(row["flow_data"]))
        self.assertEqual(sorted((j["job_id"], j["attempt"], j["status"])
                                for j in self.web.job_rows(exec_id)),
                         [(j, 0, SUCCEEDED) for j in FLOW_JOBS])
        held = self.web.execution_row(hold)
        self.assertEqual(held["status"], FAILED)
        self.assertEqual(flowdata.find_node(held["flow_data"], "hold")["status"], "FAILED")
        [job] = self.web.job_rows(hold)
        self.assertEqual((job["job_id"], job["status"]), ("hold", FAILED))
        self.assertGreaterEqual(job["end_time"], job["start_time"])
        self.assertEqual(sorted(tuple(r) for r in self.web.executor_rows()),
                         [(live_row.id, live_row.host, live_row.port, 1)])

    def wait_final(self, exec_id):
        return self.web.wait_row(exec_id, lambda r: r["status"] in WEB_FINISHED_CODES and
                                 r["flow_data"]["status"] in flowdata.WEB_FINISHED,
                                 timeout=WAIT, what="final status")

    @staticmethod
    def report(dispatcher, timeline):
        """Rotation events and failed dispatches in sequence order, for failure messages
        (with AZX_ROTATION_VERBOSE also the successful ones)."""
        lines = ["%5d %-20s executor %s %s" % e for e in timeline.events]
        if os.environ.get("AZX_ROTATION_VERBOSE"):
            lines += ["%5d dispatch of %d to %d (%s) ok in %d ms"
                      % (a["seq"], a["exec_id"], a["executor_id"], a["endpoint"],
                         a["end"] - a["start"]) for a in dispatcher.attempts if a["ok"]]
        lines += ["%5d dispatch of %d to %d (%s) failed: %s"
                  % (a["seq"], a["exec_id"], a["executor_id"], a["endpoint"], a["error"])
                  for a in dispatcher.attempts if not a["ok"]]
        return "\n".join(sorted(lines, key=lambda s: int(s.split()[0])))


if __name__ == "__main__":
    unittest.main()
