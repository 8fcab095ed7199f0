"""End-to-end: the real C++ executor (`serve`) against MariaDB, driven like the 3.81 web.

Skips as a whole when the binary has no `serve` subcommand yet. Projects are small ones
written into temp dirs (command / noop jobs, embedded flows) plus two reference projects.
"""

import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from azkweb import flowdata, paths
from azkweb.waiting import wait_for
from azkweb.executor_proc import ExecutorProcess, require_serve
from azkweb.mariadb import MariaDB
from azkweb.webdriver import (ExecutorCallError, call_executor, Updater, WebDriver, now_ms, parse_reply,
                              post)

BIN = None
DB = None

RUNTIME_KEYS = ("status", "startTime", "endTime", "updateTime", "attempt", "pastAttempts",
                "outputProps", "executionPath")


def setUpModule():  # noqa: N802 - unittest naming
    global BIN, DB
    BIN = require_serve()
    DB = MariaDB().setup()


def tearDownModule():  # noqa: N802
    if DB is not None:
        DB.teardown()


def strip_runtime(obj):
    """flow_data without the fields the executor may change (5.9), for round-trip checks."""
    if isinstance(obj, dict):
        return {k: strip_runtime(v) for k, v in obj.items() if k not in RUNTIME_KEYS}
    if isinstance(obj, list):
        return [strip_runtime(v) for v in obj]
    return obj


def chain_lookup(params, key):
    """A key in an input_params/output_params chain {"source","props","parent"}."""
    while params:
        if key in (params.get("props") or {}):
            return params["props"][key]
        params = params.get("parent")
    return None


class E2ETestCase(unittest.TestCase):
    def setUp(self):
        DB.clear_tables()
        self.tmp = tempfile.mkdtemp(prefix="azx-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.web = WebDriver(DB)
        self.addCleanup(self.web.close)
        # The web's updater thread, with its own DB connection.
        self.updater = Updater(WebDriver(DB))
        self.updater.start(interval=0.5)
        self.addCleanup(self.updater.stop)

    # -- executors ---------------------------------------------------------------------------
    def start_executor(self, name="exec", poll=False, activate=True, extra=None):
        proc = ExecutorProcess(BIN, DB, self.tmp, name, poll, extra)
        self.addCleanup(self._stop_executor, proc)
        proc.start()
        if activate:
            self.assertEqual(proc.activate(), {"status": "success"})
        row = proc.row(self.web)
        self.assertIsNotNone(row, "executor did not register (host, port) in `executors`")
        return proc, row

    def _stop_executor(self, proc):
        if proc.alive():
            rc = proc.stop(signal.SIGTERM, timeout=30)
            if rc not in (0, None, -signal.SIGTERM):
                print("executor %s exited with %s:\n%s" % (proc.workdir, rc, proc.output()))
        else:
            proc.stop()

    # -- projects ----------------------------------------------------------------------------
    def project(self, name, files):
        root = os.path.join(self.tmp, "projects-src", name)
        for rel, text in files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return root

    def submit(self, project_dir, flow_name, push=True, project_name=None, **options):
        name = project_name or os.path.basename(project_dir)
        pid, ver = self.web.upload_project(name, project_dir, uploader="tester")
        flow = self.web.build_flow_data(project_dir, flow_name, pid, name, ver,
                                        submit_user="tester", **options)
        exec_id = self.web.submit(flow, push=push)
        return exec_id, flow

    def run_push(self, executor, project_dir, flow_name, **options):
        exec_id, flow = self.submit(project_dir, flow_name, **options)
        self.assertEqual(self.web.dispatch(exec_id, executor), {})
        self.updater.track(exec_id, executor, flow)
        return exec_id, flow

    def finish(self, exec_id, timeout=120.0, db_timeout=10.0):
        """Wait for the web-side finalisation; check the delta stream was well-formed."""
        reason, web_copy = self.updater.wait_done([exec_id], timeout)[exec_id]
        self.assertEqual(self.updater.protocol_errors, [])
        self.assertEqual(reason, "finished", "the web finalised the execution itself: " + reason)
        # `update` may report the end a moment before the executor's last row write lands.
        code = flowdata.STATUS_CODES[web_copy["status"]]
        row = self.web.wait_row(exec_id, lambda r: r["status"] == code and
                                r["flow_data"]["status"] == web_copy["status"], db_timeout,
                                what="final row written")
        # What the web learnt through `update` must agree with what the executor stored.
        self.assertEqual(flowdata.node_statuses(web_copy), flowdata.node_statuses(row["flow_data"]))
        self.assertEqual(web_copy["status"], row["flow_data"]["status"])
        return row

    def assert_row_final(self, row, status, built, executor=None):
        fd = row["flow_data"]
        self.assertEqual(row["status"], flowdata.STATUS_CODES[status])
        self.assertEqual(fd["status"], status)
        self.assertEqual(row["enc_type"], 2)
        self.assertGreater(row["start_time"], 0)
        self.assertGreaterEqual(row["end_time"], row["start_time"])
        self.assertGreaterEqual(row["update_time"], row["end_time"])
        self.assertEqual((fd["startTime"], fd["endTime"], fd["updateTime"]),
                         (row["start_time"], row["end_time"], row["update_time"]))
        self.assertIsNotNone(fd["executionPath"])
        if executor is not None:
            self.assertEqual(row["executor_id"], executor.id)
        # Everything but the run-time fields survives the executor's rewrites (5.9).
        self.assertEqual(strip_runtime(fd), strip_runtime(flowdata.json.loads(
            flowdata.dumps(built))))
        version = "%.1f" % built["azkabanFlowVersion"]
        self.assertRegex(row["flow_data_raw"],
                         r'"azkabanFlowVersion"\s*:\s*' + re.escape(version) + r"[,}\s]")
        for nested, node in flowdata.iter_nodes(fd):
            if node["status"] in ("SUCCEEDED", "FAILED", "KILLED"):
                self.assertGreater(node["startTime"], 0, nested)
                self.assertGreaterEqual(node["endTime"], node["startTime"], nested)

    def jobs_by_id(self, exec_id):
        rows = self.web.job_rows(exec_id)
        keys = [(r["flow_id"], r["job_id"], r["attempt"]) for r in rows]
        self.assertEqual(len(keys), len(set(keys)))
        return {r["job_id"]: r for r in rows}


class RegistrationTest(E2ETestCase):
    def test_row_port_file_and_activation(self):
        proc, row = self.start_executor(activate=False)
        with open(proc.portfile) as f:
            text = f.read()
        self.assertEqual(text, str(proc.port))  # decimal, no newline (3.2)
        self.assertEqual((row.host, row.port, row.active), ("127.0.0.1", proc.port, False))
        ep = proc.endpoint()
        self.assertEqual(self.web.call(ep, "getStatus"),
                         {"executor_id": str(row.id), "isActive": "false", "status": "success"})
        self.assertEqual(self.web.call(ep, "ping"), {"status": "alive"})
        self.assertEqual(proc.activate(), {"status": "success"})
        self.assertEqual(proc.row(self.web).active, True)
        self.assertEqual([e.id for e in self.web.active_executors()], [row.id])
        self.assertEqual(self.web.call(ep, "getStatus")["isActive"], "true")
        self.assertEqual(proc.deactivate(), {"status": "success"})
        self.assertEqual(proc.row(self.web).active, False)

    def test_reload_job_types_then_run(self):
        proc, ex = self.start_executor()
        self.assertEqual(call_executor(proc.endpoint(), "reloadJobTypePlugins"),
                         {"status": "success"})
        src = self.project("reload", {"a.job": "type=command\ncommand=echo after-reload\n"})
        exec_id, _ = self.run_push(ex, src, "a")
        row = self.finish(exec_id)
        self.assertEqual(row["flow_data"]["status"], "SUCCEEDED")
        self.assertIn("after-reload", self.web.logs_from_db(exec_id, "a"))

    def test_inactive_executor_refuses_execute(self):
        proc, row = self.start_executor(activate=False)
        src = self.project("p", {"a.job": "type=noop\n"})
        exec_id, _ = self.submit(src, "a")
        with self.assertRaises(ExecutorCallError) as ctx:
            self.web.dispatch(exec_id, row)
        self.assertIn("inactive", str(ctx.exception))
        r = self.web.execution_row(exec_id)
        self.assertEqual((r["status"], r["executor_id"]), (20, None))


class SuccessTest(E2ETestCase):
    def test_flow1_with_embedded_flow(self):
        proc, ex = self.start_executor()
        src = self.project("flow1", {
            "shared.properties": "greeting=hello\n",
            "a.job": "type=command\ncommand=echo ${greeting}-a\n",
            "b.job": "type=command\ncommand=sleep 1\ndependencies=a\n",
            "c.job": "type=command\ncommand=echo c\ndependencies=a\n",
            "sub.job": "type=flow\nflow.name=inner\ndependencies=a\n",
            "inner.job": "type=command\ncommand=echo inner-${greeting}\n",
            "end.job": "type=noop\ndependencies=b,c,sub\n",
        })
        exec_id, built = self.run_push(ex, src, "end")
        row = self.finish(exec_id)
        self.assert_row_final(row, "SUCCEEDED", built, ex)
        self.assertEqual(set(flowdata.node_statuses(row["flow_data"]).values()), {"SUCCEEDED"})
        self.assertIn("RUNNING", self.updater.seen_statuses[exec_id])

        jobs = self.web.job_rows(exec_id)
        self.assertEqual(sorted((j["flow_id"], j["job_id"], j["attempt"], j["status"])
                                for j in jobs),
                         sorted([("end", "a", 0, 50), ("end", "b", 0, 50), ("end", "c", 0, 50),
                                 ("end", "end", 0, 50), ("end,sub:inner", "inner", 0, 50)]))
        by_id = {j["job_id"]: j for j in jobs}
        a_in = by_id["a"]["input_params"]
        self.assertEqual(a_in["props"]["command"], "echo ${greeting}-a")  # unresolved (9.3)
        self.assertEqual(chain_lookup(a_in, "greeting"), "hello")
        for j in jobs:
            self.assertGreater(j["start_time"], 0)
            self.assertGreaterEqual(j["end_time"], j["start_time"])

        self.assertIn("hello-a", self.web.logs_from_db(exec_id, "a"))
        self.assertIn("inner-hello", self.web.logs_from_db(exec_id, "sub:inner"))
        self.assertNotEqual(self.web.logs_from_db(exec_id, ""), "")
        for name, attempt, enc, *_ in self.web.log_rows(exec_id):
            self.assertEqual(enc, 2)
        cache = os.path.join(proc.workdir, "projects",
                             "%d.%d" % (built["projectId"], built["version"]))
        self.assertTrue(os.path.isfile(
            os.path.join(cache, "___azkaban_project_dir_size_in_bytes___")))
        exec_dir = os.path.join(proc.workdir, "executions", str(exec_id))
        wait_for(lambda: not os.path.exists(exec_dir), 30, "execution dir removed (9.6)")

    def test_flow1_job_override_from_the_web_ui(self):
        _, ex = self.start_executor()
        src = self.project("override", {
            "a.job": "type=command\ncommand=echo from-file\n",
        })
        name = "override"
        pid, ver = self.web.upload_project(name, src, uploader="tester")
        # What the web UI stores when a user edits a job's properties (6.4).
        self.web.set_job_override(pid, ver, "a", {"type": "command", "command": "echo from-jor"})
        flow = self.web.build_flow_data(src, "a", pid, name, ver, submit_user="tester")
        exec_id = self.web.submit(flow, push=True)
        self.assertEqual(self.web.dispatch(exec_id, ex), {})
        self.updater.track(exec_id, ex, flow)
        row = self.finish(exec_id)
        self.assertEqual(row["flow_data"]["status"], "SUCCEEDED")
        log = self.web.logs_from_db(exec_id, "a")
        self.assertIn("from-jor", log)
        self.assertNotIn("Command: echo from-file", log)

    def test_flow2_reference_project(self):
        proc, ex = self.start_executor()
        src = paths.reference_project("basicflowyamltest")
        exec_id, built = self.run_push(ex, src, "basic_flow", flowParameters={"p": "v"})
        row = self.finish(exec_id)
        self.assert_row_final(row, "SUCCEEDED", built, ex)
        jobs = self.jobs_by_id(exec_id)
        self.assertEqual(set(jobs), {"shell_end", "shell_echo", "shell_pwd", "shell_bash"})
        for j in jobs.values():
            self.assertEqual((j["flow_id"], j["status"], j["attempt"]), ("basic_flow", 50, 0))
        self.assertIn("This is an echoed text.", self.web.logs_from_db(exec_id, "shell_echo"))
        self.assertIn("This is a bash script.", self.web.logs_from_db(exec_id, "shell_bash"))
        # Flow 2.0 jobs run in the execution directory itself (6.5).
        self.assertIn(os.path.join("executions", str(exec_id)),
                      self.web.logs_from_db(exec_id, "shell_pwd"))

    def test_flow2_embedded_reference_project(self):
        proc, ex = self.start_executor()
        src = paths.reference_project("embeddedflowyamltest")
        exec_id, built = self.run_push(ex, src, "embedded_flow")
        row = self.finish(exec_id)
        self.assert_row_final(row, "SUCCEEDED", built, ex)
        keys = {(j["flow_id"], j["job_id"]) for j in self.web.job_rows(exec_id)}
        e1 = "embedded_flow,embedded_flow1:embedded_flow:embedded_flow1"
        e2 = e1 + ",embedded_flow2:embedded_flow:embedded_flow1:embedded_flow2"
        self.assertEqual(keys, {
            ("embedded_flow", "shell_end"), ("embedded_flow", "shell_pwd"),
            ("embedded_flow", "shell_echo"), (e1, "shell_end"), (e1, "shell_echo"),
            (e1, "shell_bash"), (e2, "shell_end"), (e2, "shell_pwd")})
        self.assertIn("embedded_flow1.",
                      self.web.logs_from_db(exec_id, "embedded_flow1:shell_echo"))


class FailureActionTest(E2ETestCase):
    FILES = {
        "fail.job": "type=command\ncommand=bash -c 'sleep 1; exit 1'\n",
        "long.job": "type=command\ncommand=sleep 4\n",
        "after_long.job": "type=command\ncommand=echo after\ndependencies=long\n",
        "after_fail.job": "type=command\ncommand=echo never\ndependencies=fail\n",
        "end.job": "type=noop\ndependencies=after_long,after_fail\n",
    }

    def run_with(self, action):
        proc, ex = self.start_executor()
        src = self.project("failing", self.FILES)
        exec_id, built = self.run_push(ex, src, "end", failureAction=action)
        row = self.finish(exec_id)
        return exec_id, built, row, ex

    def test_finish_currently_running(self):
        exec_id, built, row, ex = self.run_with("FINISH_CURRENTLY_RUNNING")
        self.assert_row_final(row, "FAILED", built, ex)
        self.assertEqual(flowdata.node_statuses(row["flow_data"]), {
            "fail": "FAILED", "long": "SUCCEEDED", "after_long": "CANCELLED",
            "after_fail": "CANCELLED", "end": "CANCELLED"})
        self.assertIn(exec_id, self.updater.first_failure)
        jobs = self.jobs_by_id(exec_id)
        self.assertEqual({k: v["status"] for k, v in jobs.items()}, {"fail": 70, "long": 50})

    def test_finish_all_possible(self):
        exec_id, built, row, ex = self.run_with("FINISH_ALL_POSSIBLE")
        self.assert_row_final(row, "FAILED", built, ex)
        self.assertEqual(flowdata.node_statuses(row["flow_data"]), {
            "fail": "FAILED", "long": "SUCCEEDED", "after_long": "SUCCEEDED",
            "after_fail": "CANCELLED", "end": "CANCELLED"})
        self.assertIn(exec_id, self.updater.first_failure)
        jobs = self.jobs_by_id(exec_id)
        self.assertEqual({k: v["status"] for k, v in jobs.items()},
                         {"fail": 70, "long": 50, "after_long": 50})
        self.assertIn("after", self.web.logs_from_db(exec_id, "after_long"))

    def test_cancel_all(self):
        exec_id, built, row, ex = self.run_with("CANCEL_ALL")
        self.assert_row_final(row, "KILLED", built, ex)
        self.assertEqual(flowdata.node_statuses(row["flow_data"]), {
            "fail": "FAILED", "long": "KILLED", "after_long": "CANCELLED",
            "after_fail": "CANCELLED", "end": "CANCELLED"})
        jobs = self.jobs_by_id(exec_id)
        self.assertEqual({k: v["status"] for k, v in jobs.items()}, {"fail": 70, "long": 60})


class ControlTest(E2ETestCase):
    def test_cancel_running_job(self):
        proc, ex = self.start_executor()
        src = self.project("cancel", {
            "a.job": "type=command\ncommand=sleep 30\n",
            "b.job": "type=command\ncommand=echo b\ndependencies=a\n",
        })
        exec_id, built = self.run_push(ex, src, "b")
        self.web.wait_node_status(exec_id, "a", ("RUNNING",), timeout=60)
        self.assertEqual(self.web.cancel(ex, exec_id, "tester"), {"status": "success"})
        row = self.finish(exec_id, timeout=90)
        self.assert_row_final(row, "KILLED", built, ex)
        self.assertEqual(flowdata.node_statuses(row["flow_data"]),
                         {"a": "KILLED", "b": "CANCELLED"})
        jobs = self.jobs_by_id(exec_id)
        self.assertEqual(set(jobs), {"a"})
        self.assertEqual(jobs["a"]["status"], 60)

        def cancel_refused():
            try:
                self.web.cancel(ex, exec_id, "tester")
                return False
            except ExecutorCallError as e:
                return "is not running" in str(e)
        wait_for(cancel_refused, 30, "cancel of a finished execution refused")

    def test_cancel_needs_user(self):
        proc, ex = self.start_executor()
        # Absent `user` is refused; a valueless `user` (as the web sends it) counts as present.
        with self.assertRaises(ExecutorCallError) as ctx:
            parse_reply(*post(ex.host, ex.port, "/executor",
                              [("action", "cancel"), ("execid", "12345")]))
        self.assertEqual(str(ctx.exception), "user has not been set")
        for user in (None, "tester"):
            with self.assertRaises(ExecutorCallError) as ctx:
                self.web.call(ex, "cancel", exec_id=12345, user=user)
            self.assertEqual(str(ctx.exception), "Execution 12345 is not running.")

    def test_pause_resume(self):
        proc, ex = self.start_executor()
        src = self.project("pause", {
            "a.job": "type=command\ncommand=sleep 2\n",
            "b.job": "type=command\ncommand=echo b-ran\ndependencies=a\n",
        })
        exec_id, built = self.run_push(ex, src, "b")
        self.web.wait_node_status(exec_id, "a", ("RUNNING",), timeout=60)
        self.assertEqual(self.web.pause(ex, exec_id, "tester"), {"status": "success"})
        self.web.wait_row(exec_id, lambda r: r["flow_data"]["status"] == "PAUSED", 20,
                          what="root PAUSED")
        # While paused the flow loop does nothing, so flow_data is not rewritten (flow-semantics
        # 4.9/4.15), but the job's own runner still ends it: `update` and its row show that.
        wait_for(lambda: flowdata.find_node(self.updater.web_copy(exec_id), "a")["status"]
                 == "SUCCEEDED", 30, "a SUCCEEDED in the web's copy")
        self.assertEqual(self.jobs_by_id(exec_id)["a"]["status"], 50)
        time.sleep(1.5)  # b would have started by now if pause did not hold it
        self.assertEqual(flowdata.find_node(self.updater.web_copy(exec_id), "b")["status"], "READY")
        self.assertEqual(self.web.execution_row(exec_id)["status"], 40)
        self.assertNotIn("b", self.jobs_by_id(exec_id))
        resumed_at = now_ms()
        self.assertEqual(self.web.resume(ex, exec_id, "tester"), {"status": "success"})
        row = self.finish(exec_id)
        self.assert_row_final(row, "SUCCEEDED", built, ex)
        self.assertIn("PAUSED", self.updater.seen_statuses[exec_id])
        self.assertGreaterEqual(self.jobs_by_id(exec_id)["b"]["start_time"], resumed_at - 50)


class LogTest(E2ETestCase):
    def test_log_while_running_and_from_db(self):
        proc, ex = self.start_executor()
        src = self.project("logs", {
            "talk.sh": "echo start-marker\nsleep 3\necho end-marker\n",
            "big.sh": 'for i in $(seq 1 3000); do echo "line $i äöü € 𝄞"; done\n',
            "talk.job": "type=command\ncommand=bash talk.sh\n",
            "big.job": "type=command\ncommand=bash big.sh\ndependencies=talk\n",
        })
        exec_id, built = self.run_push(ex, src, "big")
        self.web.wait_node_status(exec_id, "talk", ("RUNNING",), timeout=60)
        live = wait_for(lambda: (lambda t: t if "start-marker" in t else None)(
            self.web.read_log(ex, exec_id, job_id="talk")), 15, "start-marker in the live log")
        self.assertNotIn("end-marker", live)
        self.assertNotEqual(self.web.read_log(ex, exec_id), "")  # flow log while running
        window = self.web.log(ex, exec_id, "job", 0, 10, job_id="talk")
        self.assertEqual((window["offset"], window["length"]), (0, 10))
        self.assertEqual(window["data"], live[:10])

        row = self.finish(exec_id)
        self.assert_row_final(row, "SUCCEEDED", built, ex)
        talk = self.web.logs_from_db(exec_id, "talk")
        self.assertTrue(talk.startswith(live), "uploaded log differs from the live one")
        self.assertIn("end-marker", talk)
        big = self.web.logs_from_db(exec_id, "big")
        self.assertEqual(sum(1 for ln in big.splitlines() if ln.endswith("äöü € 𝄞")), 3000)
        self.assertIn("line 3000 äöü € 𝄞", big)
        rows = self.web.log_rows(exec_id, "big", 0)
        self.assertGreater(len(rows), 2)
        offset = 0
        for i, (_, _, enc, start, end, blob, upload_time) in enumerate(rows):
            self.assertEqual((enc, start), (2, offset))
            if i < len(rows) - 1:
                self.assertEqual(end - start, 51200)
            self.assertGreater(upload_time, 0)
            offset = end
        self.assertEqual(offset, len(big.encode("utf-8")))
        self.assertIn("big", self.web.logs_from_db(exec_id, ""))

        def log_refused():
            try:
                self.web.log(ex, exec_id)
                return False
            except ExecutorCallError as e:
                return "Running flow %d not found." % exec_id == str(e)
        wait_for(log_refused, 30, "`log` refused for a finished execution")


class MultiExecutorTest(E2ETestCase):
    N = 6

    def once_project(self):
        runs = os.path.join(self.tmp, "runs.txt")
        src = self.project("once", {
            "a.job": "type=command\ncommand=bash -c 'echo ${azkaban.flow.execid} >> %s; sleep 1'\n"
                     % runs,
        })
        return src, runs

    def assert_each_ran_once(self, runs, exec_ids):
        with open(runs) as f:
            self.assertEqual(sorted(int(x) for x in f.read().split()), sorted(exec_ids))
        for e in exec_ids:
            jobs = self.web.job_rows(e)
            self.assertEqual([(j["job_id"], j["attempt"], j["status"]) for j in jobs],
                             [("a", 0, 50)])

    def test_push_two_executors(self):
        _, ex1 = self.start_executor("e1")
        _, ex2 = self.start_executor("e2")
        active = {e.id: e for e in self.web.active_executors()}
        self.assertEqual(set(active), {ex1.id, ex2.id})
        src, runs = self.once_project()
        ids, chosen = [], {}
        for i in range(self.N):
            ex = active[ex1.id] if i % 2 == 0 else active[ex2.id]
            exec_id, _ = self.run_push(ex, src, "a")
            ids.append(exec_id)
            chosen[exec_id] = ex.id
        # A re-dispatch of a running execution is an idempotent success (1.4 execute).
        self.assertEqual(self.web.dispatch(ids[0], active[ex1.id]), {})
        for e in ids:
            row = self.finish(e)
            self.assertEqual((row["status"], row["executor_id"]), (50, chosen[e]))
        self.assert_each_ran_once(runs, ids)

    def test_poll_two_executors(self):
        _, ex1 = self.start_executor("e1", poll=True)
        _, ex2 = self.start_executor("e2", poll=True)
        src, runs = self.once_project()
        ids = [self.submit(src, "a", push=False)[0] for _ in range(self.N)]
        for e in ids:
            claimed_by = self.web.wait_claimed(e, timeout=60)
            row = self.web.wait_finished(e, timeout=120)
            self.assertEqual(row["executor_id"], claimed_by)
            self.assertEqual(row["status"], 50)
            self.assertIn(row["executor_id"], (ex1.id, ex2.id))
            self.assertEqual(row["flow_data"]["status"], "SUCCEEDED")
        self.assert_each_ran_once(runs, ids)
        self.assertEqual(self.web.query("SELECT COUNT(*) FROM active_executing_flows")[0][0], 0)

    def test_poll_pinned_execution_goes_to_its_executor(self):
        _, ex1 = self.start_executor("e1", poll=True)
        _, ex2 = self.start_executor("e2", poll=True)
        src, runs = self.once_project()
        ids = [self.submit(src, "a", push=False, flowParameters={"useExecutor": str(ex2.id)})[0]
               for _ in range(3)]
        for e in ids:
            self.assertEqual(self.web.wait_finished(e, timeout=120)["executor_id"], ex2.id)
        self.assert_each_ran_once(runs, ids)


class ResilienceTest(E2ETestCase):
    def test_database_restart_mid_flow(self):
        proc, ex = self.start_executor()
        src = self.project("dbrestart", {
            "a.sh": "echo a-start\nsleep 4\necho a-end\n",
            "a.job": "type=command\ncommand=bash a.sh\n",
            "b.job": "type=command\ncommand=echo b-done\ndependencies=a\n",
            "c.job": "type=command\ncommand=bash -c 'sleep 1; echo c-done'\ndependencies=b\n",
        })
        exec_id, built = self.run_push(ex, src, "c")
        self.web.wait_node_status(exec_id, "a", ("RUNNING",), timeout=60)
        self.web.close()
        DB.stop()
        try:
            time.sleep(7)  # `a` ends and `b` runs while the database is away
            self.assertTrue(proc.alive(), "executor died while the database was down")
        finally:
            DB.start()
        restarted = time.monotonic()
        row = self.finish(exec_id, timeout=240, db_timeout=120)
        print("\n  db restart: final row %.1f s after the database came back"
              % (time.monotonic() - restarted))
        self.assert_row_final(row, "SUCCEEDED", built, ex)
        jobs = self.jobs_by_id(exec_id)
        self.assertEqual({k: (v["status"], v["attempt"]) for k, v in jobs.items()},
                         {"a": (50, 0), "b": (50, 0), "c": (50, 0)})
        for j in jobs.values():
            self.assertGreater(j["end_time"], 0)
        a_log = self.web.logs_from_db(exec_id, "a")
        self.assertIn("a-start", a_log)
        self.assertIn("a-end", a_log)
        self.assertIn("b-done", self.web.logs_from_db(exec_id, "b"))
        self.assertIn("c-done", self.web.logs_from_db(exec_id, "c"))
        self.assertNotEqual(self.web.logs_from_db(exec_id, ""), "")
        self.assertTrue(proc.alive())
        self.assertIsNotNone(proc.row(self.web))

    def test_sigterm_drains_running_flow(self):
        proc, ex = self.start_executor()
        src = self.project("drain", {
            "a.job": "type=command\ncommand=bash -c 'sleep 3; echo drained-ok'\n",
        })
        exec_id, built = self.run_push(ex, src, "a")
        self.web.wait_node_status(exec_id, "a", ("RUNNING",), timeout=60)
        proc.proc.send_signal(signal.SIGTERM)
        time.sleep(1)
        # While draining the executor takes no new work.
        late_id, _ = self.submit(src, "a")
        with self.assertRaises((ExecutorCallError, OSError)):
            self.web.dispatch(late_id, ex)
        rc = proc.proc.wait(timeout=180)
        self.assertEqual(rc, 0, proc.output())
        row = self.web.execution_row(exec_id)
        self.assertEqual(row["status"], 50, "running flow was not drained")
        self.assertIn("drained-ok", self.web.logs_from_db(exec_id, "a"))
        self.assertIsNone(proc.row(self.web), "own executors row not deleted at exit")
        late = self.web.execution_row(late_id)
        self.assertEqual((late["status"], late["executor_id"]), (20, None))
        self.assertFalse(os.path.exists(os.path.join(proc.workdir, "executions", str(exec_id))))

    def test_sigterm_after_grace_records_killed(self):
        proc, ex = self.start_executor(extra={"executor.shutdown.grace.seconds": "1"})
        src = self.project("grace", {"a.job": "type=command\ncommand=sleep 60\n"})
        exec_id, built = self.run_push(ex, src, "a")
        self.web.wait_node_status(exec_id, "a", ("RUNNING",), timeout=60)
        rc = proc.stop(signal.SIGTERM, timeout=120)
        self.assertEqual(rc, 0, proc.output())
        row = self.web.execution_row(exec_id)
        self.assertEqual(row["status"], 60)
        self.assertEqual(flowdata.find_node(row["flow_data"], "a")["status"], "KILLED")
        self.assertEqual(self.jobs_by_id(exec_id)["a"]["status"], 60)
        self.assertIsNone(proc.row(self.web))

    def test_truncated_executors_table_heals(self):
        proc, ex = self.start_executor(extra={"executor.row.heal": "true",
                                              "executor.row.heal.interval.seconds": "1"})
        self.web.execute("TRUNCATE TABLE executors")
        healed = wait_for(lambda: proc.row(self.web), 30, "own executors row re-inserted")
        self.assertTrue(healed.active, "re-inserted row must carry the in-memory active flag")
        self.assertEqual(self.web.call(proc.endpoint(), "getStatus"),
                         {"executor_id": str(healed.id), "isActive": "true", "status": "success"})
        src = self.project("healed", {"a.job": "type=command\ncommand=echo healed\n"})
        exec_id, built = self.run_push(healed, src, "a")
        self.assert_row_final(self.finish(exec_id), "SUCCEEDED", built, healed)

    def test_truncated_executors_table_without_healing(self):
        # Default (Java) behaviour: the row is gone for good; activate cannot find it (3.6).
        proc, ex = self.start_executor()
        self.web.execute("TRUNCATE TABLE executors")
        time.sleep(3)
        self.assertIsNone(proc.row(self.web))
        with self.assertRaises(ExecutorCallError) as ctx:
            proc.activate()
        self.assertEqual(str(ctx.exception), "Unable to obtain self entry in DB")


if __name__ == "__main__":
    unittest.main()
