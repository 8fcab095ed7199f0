"""Tests of the web-server driver itself: real MariaDB, stub executor, no C++ code."""

import gzip
import hashlib
import io
import json
import os
import shutil
import tempfile
import unittest
import zipfile

from azkweb import flowdata, paths, projects
from azkweb.httpstub import StubExecutor
from azkweb.mariadb import MariaDB, split_sql
from azkweb.webdriver import (Executor, ExecutorCallError, Updater, WebDriver, encode_form,
                              utf8_trim)

DB = None


def setUpModule():  # noqa: N802 - unittest naming
    global DB
    DB = MariaDB().setup()


def tearDownModule():  # noqa: N802
    if DB is not None:
        DB.teardown()


def json_reply(obj, status=200):
    return lambda req: (status, "application/json; charset=utf-8", json.dumps(obj).encode())


class DbTestCase(unittest.TestCase):
    def setUp(self):
        DB.clear_tables()
        self.web = WebDriver(DB)
        self.addCleanup(self.web.close)
        self.tmp = tempfile.mkdtemp(prefix="azx-webtest-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def stub(self, responder=None):
        stub = StubExecutor(responder)
        self.addCleanup(stub.close)
        return stub, Executor(7, stub.host, stub.port)


class MariaDbFixtureTest(DbTestCase):
    def test_schema_applied(self):
        tables = {r[0] for r in self.web.query("SHOW TABLES")}
        for t in ("executors", "execution_flows", "execution_jobs", "execution_logs",
                  "project_versions", "project_files", "project_flow_files",
                  "project_properties", "active_executing_flows", "QRTZ_TRIGGERS"):
            self.assertIn(t, tables)
        cols = [r[0] for r in self.web.query("SHOW COLUMNS FROM execution_flows")]
        self.assertEqual(cols[-3:], ["executor_id", "use_executor", "flow_priority"])

    def test_restart_keeps_data_and_port(self):
        self.web.execute("INSERT INTO executors (host, port) VALUES ('h', 1)")
        port = DB.port
        DB.stop()
        with self.assertRaises(Exception):
            DB.connect()
        DB.start()
        self.assertEqual(DB.port, port)
        self.assertEqual(self.web.query("SELECT host, port, active FROM executors"),
                         (("h", 1, 0),))

    def test_split_sql(self):
        self.assertEqual(split_sql("-- c;\nCREATE A (x);\n\nCREATE B (y)"),
                         ["CREATE A (x)", "CREATE B (y)"])


class UploadTest(DbTestCase):
    def check_archive(self, project_id, version, project_dir):
        ftype, fname, md5, num_chunks, uploader = self.web.project_version_row(project_id, version)
        chunks = self.web.project_archive(project_id, version)
        self.assertEqual(ftype, "zip")
        self.assertEqual(num_chunks, len(chunks))
        self.assertEqual([c[0] for c in chunks], list(range(num_chunks)))
        archive = b"".join(bytes(c[2]) for c in chunks)
        for _, size, blob in chunks:
            self.assertEqual(size, len(blob))
            self.assertLessEqual(size, 10 * 1024 * 1024)
        self.assertEqual(len(md5), 16)
        self.assertEqual(bytes(md5), hashlib.md5(archive).digest())
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            names = set(zf.namelist())
            for dirpath, _, files in os.walk(project_dir):
                for f in files:
                    rel = os.path.relpath(os.path.join(dirpath, f), project_dir)
                    self.assertIn(rel, names)
                    with open(os.path.join(dirpath, f), "rb") as fh:
                        self.assertEqual(zf.read(rel), fh.read())
        return fname

    def test_flow1_upload(self):
        src = paths.reference_project("embedded2")
        pid, ver = self.web.upload_project("embedded2", src, uploader="alice")
        self.assertEqual(ver, 1)
        self.assertEqual(self.check_archive(pid, ver, src), "embedded2.zip")
        self.assertEqual(self.web.query("SELECT name, version, active FROM projects WHERE id=%s",
                                        (pid,)), (("embedded2", 1, 1),))
        self.assertEqual(self.web.query("SELECT COUNT(*) FROM project_flow_files")[0][0], 0)
        # A second upload is a new version of the same project.
        self.assertEqual(self.web.upload_project("embedded2", src), (pid, 2))

    def test_flow2_upload_stores_flow_files(self):
        src = paths.reference_project("basicflowyamltest")
        pid, ver = self.web.upload_project("basic", src)
        self.check_archive(pid, ver, src)
        rows = self.web.query("SELECT project_id, project_version, flow_name, flow_version, "
                              "flow_file FROM project_flow_files")
        with open(os.path.join(src, "basic_flow.flow"), "rb") as f:
            self.assertEqual(rows, ((pid, ver, "basic_flow.flow", 1, f.read()),))

    def test_zip_upload_of_flow2_project(self):
        src = paths.reference_project("basicflowyamltest")
        zpath = os.path.join(self.tmp, "basic.zip")
        with open(zpath, "wb") as f:
            f.write(projects.zip_directory(src))
        pid, ver = self.web.upload_project("basiczip", zpath)
        self.check_archive(pid, ver, src)
        self.assertEqual(self.web.query("SELECT flow_name FROM project_flow_files"),
                         (("basic_flow.flow",),))

    def test_large_archive_is_chunked(self):
        proj = os.path.join(self.tmp, "big")
        os.makedirs(proj)
        with open(os.path.join(proj, "a.job"), "w") as f:
            f.write("type=noop\n")
        with open(os.path.join(proj, "blob.bin"), "wb") as f:
            f.write(os.urandom(12 * 1024 * 1024))  # incompressible: two chunks
        pid, ver = self.web.upload_project("big", proj)
        chunks = self.web.project_archive(pid, ver)
        self.assertEqual(len(chunks), 2)
        self.assertEqual(chunks[0][1], 10 * 1024 * 1024)
        self.check_archive(pid, ver, proj)

    def test_job_override_row(self):
        self.web.set_job_override(3, 1, "jobA", {"command": "echo x"})
        name, enc, prop = self.web.query("SELECT name, encoding_type, property FROM "
                                         "project_properties")[0]
        self.assertEqual((name, enc), ("jobA.jor", 2))
        self.assertEqual(json.loads(gzip.decompress(prop)), {"command": "echo x"})


class FlowDataTest(DbTestCase):
    def test_flow1_embedded(self):
        src = paths.reference_project("embedded2")
        flow = self.web.build_flow_data(src, "jobf", 4, "embedded2", 2, submit_user="bob",
                                        failureAction="FINISH_ALL_POSSIBLE",
                                        disabled=["jobc",
                                                  {"id": "jobb", "children": ["innerJobB"]}])
        self.assertIsNone(flow["id"])
        self.assertEqual(flow["status"], "PREPARING")
        self.assertEqual(flow["flowId"], "jobf")
        self.assertEqual(flow["azkabanFlowVersion"], 1.0)
        self.assertIn('"azkabanFlowVersion":1.0', flowdata.dumps(flow))
        self.assertEqual(flow["properties"], [{"source": "test1.properties"},
                                              {"source": "test2.properties",
                                               "inherited": "test1.properties"}])
        statuses = flowdata.node_statuses(flow)
        self.assertEqual(set(statuses), {
            "joba", "joba1", "jobb", "jobb:innerJobA", "jobb:innerJobB", "jobb:innerJobC",
            "jobb:innerFlow", "jobc", "jobd", "jobd:innerJobA", "jobd:innerFlow2", "jobe", "jobf"})
        self.assertEqual(statuses["jobc"], "DISABLED")
        self.assertEqual(statuses["jobb:innerJobB"], "DISABLED")
        self.assertEqual(statuses["joba"], "READY")
        jobb = flowdata.find_node(flow, "jobb")
        self.assertEqual((jobb["type"], jobb["flowId"], jobb["jobSource"], jobb["propSource"]),
                         ("flow", "innerFlow", "jobb.job", "test2.properties"))
        self.assertEqual(jobb["inNodes"], ["joba"])
        self.assertEqual(jobb["outNodes"], ["jobe"])
        self.assertEqual(sorted(flowdata.find_node(flow, "jobe")["inNodes"]),
                         ["jobb", "jobc", "jobd"])
        self.assertNotIn("inNodes", flowdata.find_node(flow, "joba"))
        inner = flowdata.find_node(flow, "jobb:innerFlow")
        self.assertEqual(sorted(inner["inNodes"]), ["innerJobB", "innerJobC"])
        for _, node in flowdata.iter_nodes(flow):
            self.assertEqual((node["startTime"], node["endTime"], node["updateTime"],
                              node["attempt"]), (-1, -1, -1, 0))
            self.assertEqual(node["conditionOnJobStatus"], "all_success")
        self.assertEqual(flow["executionOptions"]["failureAction"], "FINISH_ALL_POSSIBLE")
        self.assertEqual(flow["submitUser"], "bob")

    def test_flow2_embedded(self):
        src = paths.reference_project("embeddedflowyamltest")
        flow = self.web.build_flow_data(src, "embedded_flow", 1, "e", 1,
                                        flowParameters={"x": "1"})
        self.assertIn('"azkabanFlowVersion":2.0', flowdata.dumps(flow))
        self.assertEqual(flow["properties"], [{"source": "embedded_flow.flow"}])
        e1 = flowdata.find_node(flow, "embedded_flow1")
        self.assertEqual(e1["flowId"], "embedded_flow:embedded_flow1")
        e2 = flowdata.find_node(flow, "embedded_flow1:embedded_flow2")
        self.assertEqual(e2["flowId"], "embedded_flow:embedded_flow1:embedded_flow2")
        self.assertEqual(e2["inNodes"], ["shell_bash"])
        for _, node in flowdata.iter_nodes(flow):
            self.assertEqual((node["jobSource"], node["propSource"]),
                             ("embedded_flow.flow", "embedded_flow.flow"))
        self.assertEqual(flow["executionOptions"]["flowParameters"], {"x": "1"})

    def test_flow2_condition(self):
        parsed = projects.load_project(paths.reference_project("conditionalflowyamltest"))

        def node(flow, job):
            return flowdata.find_node(flowdata.build_flow_data(parsed, flow, 1, "c", 1), job)
        self.assertEqual((node("conditional_flow3", "jobC")["condition"],
                          node("conditional_flow3", "jobC")["conditionOnJobStatus"]),
                         ("one_failed", "one_failed"))
        self.assertEqual(node("conditional_flow6", "jobD")["conditionOnJobStatus"], "one_success")
        self.assertEqual(node("conditional_flow6", "jobD")["condition"],
                         "one_success && ${jobA:props} == 'foo'")
        self.assertEqual((node("conditional_flow1", "jobB")["condition"],
                          node("conditional_flow1", "jobB")["conditionOnJobStatus"]),
                         ("${jobA:azkaban.server.name} == 'foo'", "all_success"))
        self.assertIsNone(node("conditional_flow1", "jobA")["condition"])

    def test_java_properties(self):
        p = projects.parse_java_properties(
            b"# c\n! c\na=1\nb : 2\nc 3\nlong=x\\\n   y\ne=\\u0041\\t\nk\\=x=v  \n\xe9=\xe9\n")
        self.assertEqual(p, {"a": "1", "b": "2", "c": "3", "long": "xy", "e": "A\t",
                             "k=x": "v  ", "\xe9": "\xe9"})

    def test_unknown_option_rejected(self):
        with self.assertRaises(ValueError):
            flowdata.default_execution_options(failureActon="CANCEL_ALL")


class SubmitTest(DbTestCase):
    def test_submit_push(self):
        src = paths.reference_project("basicflowyamltest")
        pid, ver = self.web.upload_project("basic", src)
        flow = self.web.build_flow_data(src, "basic_flow", pid, "basic", ver, submit_user="carol",
                                        flowParameters={"flowPriority": "8", "useExecutor": "3"})
        exec_id = self.web.submit(flow)
        self.assertEqual(flow["executionId"], exec_id)
        row = self.web.execution_row(exec_id)
        self.assertEqual(row["status"], 20)
        self.assertEqual(row["update_time"], -1)
        self.assertEqual((row["start_time"], row["end_time"]), (-1, -1))
        self.assertEqual(row["enc_type"], 2)
        self.assertEqual(row["flow_data"], json.loads(json.dumps(flow)))
        self.assertIn('"azkabanFlowVersion":2.0', row["flow_data_raw"])
        self.assertEqual((row["project_id"], row["version"], row["flow_id"], row["submit_user"]),
                         (pid, ver, "basic_flow", "carol"))
        self.assertEqual((row["executor_id"], row["use_executor"], row["flow_priority"]),
                         (None, 3, 8))
        self.assertEqual(self.web.query("SELECT exec_id FROM active_executing_flows"),
                         ((exec_id,),))

    def test_submit_poll_has_no_active_row(self):
        src = paths.reference_project("exectest1")
        flow = self.web.build_flow_data(src, "job10", 1, "x", 1)
        exec_id = self.web.submit(flow, push=False)
        self.assertEqual(self.web.query("SELECT COUNT(*) FROM active_executing_flows")[0][0], 0)
        row = self.web.execution_row(exec_id)
        self.assertEqual((row["use_executor"], row["flow_priority"]), (None, 5))
        self.assertEqual(self.web.execution_row(exec_id + 1), None)

    def test_active_executors(self):
        self.web.execute("INSERT INTO executors (host, port, active) VALUES ('a', 1, 1), "
                         "('b', 2, 0), ('c', 3, 1)")
        self.assertEqual([(e.host, e.port) for e in self.web.active_executors()],
                         [("a", 1), ("c", 3)])

    def test_finalize_marks_top_level_nodes(self):
        src = paths.reference_project("embedded2")
        flow = self.web.build_flow_data(src, "jobf", 1, "x", 1)
        exec_id = self.web.submit(flow)
        flowdata.find_node(flow, "joba")["status"] = "SUCCEEDED"
        flowdata.find_node(flow, "jobb")["status"] = "RUNNING"
        flow["status"] = "RUNNING"
        self.web.write_flow(flow)
        final = self.web.finalize(exec_id, flow)
        row = self.web.execution_row(exec_id)
        self.assertEqual(row["status"], 70)
        st = flowdata.node_statuses(row["flow_data"])
        self.assertEqual((st["joba"], st["jobb"], st["jobc"]), ("SUCCEEDED", "FAILED", "KILLING"))
        self.assertEqual(st["jobb:innerJobA"], "READY")  # embedded flows are not descended into
        self.assertEqual(final["status"], "FAILED")
        self.assertEqual(self.web.query("SELECT COUNT(*) FROM active_executing_flows")[0][0], 0)


class LogsFromDbTest(DbTestCase):
    def insert_log(self, exec_id, name, attempt, data, chunk=51200):
        for start in range(0, len(data), chunk):
            part = data[start:start + chunk]
            self.web.execute(
                "INSERT INTO execution_logs (exec_id, name, attempt, enc_type, start_byte, "
                "end_byte, log, upload_time) VALUES (%s, %s, %s, 2, %s, %s, %s, 1)",
                (exec_id, name, attempt, start, start + len(part), gzip.compress(part)))

    def test_reassembles_multibyte_text_across_chunks(self):
        text = "".join("line %d äöü € 𝄞\n" % i for i in range(20000))
        data = text.encode("utf-8")
        self.insert_log(5, "sub:jobB", 1, data)
        self.insert_log(5, "", 0, b"flow log\n")
        self.assertGreater(len(data), 5 * 51200)
        self.assertEqual(self.web.logs_from_db(5, "sub:jobB", 1), text)
        self.assertEqual(self.web.logs_from_db(5, ""), "flow log\n")
        self.assertEqual(self.web.logs_from_db(5, "sub:jobB", 0), "")
        window = self.web.logs_from_db(5, "sub:jobB", 1, offset=51199, length=10)
        self.assertEqual(data[window["offset"]:window["offset"] + window["length"]].decode(),
                         window["data"])

    def test_utf8_trim(self):
        euro = "€".encode()
        self.assertEqual(utf8_trim(euro[1:] + b"ab" + euro[:2]), (2, b"ab"))
        self.assertEqual(utf8_trim(b"a" + euro), (0, b"a" + euro))
        self.assertEqual(utf8_trim(b""), (0, b""))


class HttpProtocolTest(DbTestCase):
    def submit_one(self):
        src = paths.reference_project("exectest1")
        return self.web.submit(self.web.build_flow_data(src, "job10", 1, "x", 1))

    def test_dispatch_body_and_success(self):
        stub, ex = self.stub()
        exec_id = self.submit_one()
        self.assertEqual(self.web.dispatch(exec_id, ex), {})
        req = stub.requests[-1]
        self.assertEqual((req.method, req.path), ("POST", "/executor"))
        self.assertEqual(req.headers["Content-Type"],
                         "application/x-www-form-urlencoded; charset=UTF-8")
        self.assertEqual(req.body, b"action=execute&execid=%d&user" % exec_id)
        self.assertEqual(self.web.execution_row(exec_id)["executor_id"], 7)

    def assert_dispatch_fails(self, responder):
        stub, ex = self.stub(responder)
        exec_id = self.submit_one()
        with self.assertRaises(ExecutorCallError):
            self.web.dispatch(exec_id, ex)
        self.assertEqual(len(stub.requests), 1)
        self.assertIsNone(self.web.execution_row(exec_id)["executor_id"])

    def test_dispatch_error_string(self):
        self.assert_dispatch_fails(json_reply({"error": "executor became inactive"}))

    def test_dispatch_http_error(self):
        self.assert_dispatch_fails(json_reply({}, status=500))

    def test_dispatch_http_redirect_status(self):
        self.assert_dispatch_fails(json_reply({}, status=302))

    def test_dispatch_bad_json(self):
        self.assert_dispatch_fails(lambda r: (200, "application/json", b"<html>oops"))

    def test_dispatch_connection_refused_resets(self):
        stub, ex = self.stub()
        stub.close()
        exec_id = self.submit_one()
        with self.assertRaises(OSError):
            self.web.dispatch(exec_id, ex)
        self.assertIsNone(self.web.execution_row(exec_id)["executor_id"])

    def test_null_error_is_success(self):
        # The strict rule of 2.1: only a non-null *string* `error` fails a call.
        stub, ex = self.stub(json_reply({"error": None}))
        self.assertEqual(self.web.call(ex, "ping"), {"error": None})
        stub.responder = json_reply({"error": 5})
        self.web.call(ex, "ping")

    def test_charset_from_content_type(self):
        body = '{"status":"ü"}'
        stub, ex = self.stub(lambda r: (200, "application/json; charset=utf-8", body.encode()))
        self.assertEqual(self.web.call(ex, "ping"), {"status": "ü"})
        stub.responder = lambda r: (200, "application/json", body.encode())
        self.assertEqual(self.web.call(ex, "ping"), {"status": "Ã¼"})  # ISO-8859-1 default

    def test_bodies_of_user_calls(self):
        stub, ex = self.stub(json_reply({"status": "success"}))
        self.web.cancel(ex, 9, "alice")
        self.web.pause(ex, 9, "a b&c")
        self.web.resume(ex, 9, "")
        self.web.retry_failures(ex, 9, "bob")
        self.assertEqual([r.body for r in stub.requests], [
            b"action=cancel&execid=9&user=alice",
            b"action=pause&execid=9&user=a+b%26c",
            b"action=resume&execid=9&user=",
            b"modifyType=retryFailures&action=modifyExecution&execid=9&user=bob",
        ])

    def test_update_and_log_bodies(self):
        stub, ex = self.stub(json_reply({"updated": [], "offset": 0, "length": 0, "data": ""}))
        self.assertEqual(self.web.update(ex, [1, 2], [-1, 1700000000000]), [])
        self.web.log(ex, 3, "flow", 0, 50000)
        self.web.log(ex, 3, "job", 100, 50000, job_id="sub:jobB", attempt=1)
        self.assertEqual([r.body for r in stub.requests], [
            b"executionId=%5B1%2C2%5D&updatetime=%5B-1%2C1700000000000%5D"
            b"&action=update&execid=null&user",
            b"type=flow&offset=0&length=50000&action=log&execid=3&user",
            b"type=job&jobId=sub%3AjobB&offset=100&length=50000&attempt=1&action=log&execid=3&user",
        ])

    def test_update_without_array_is_failure(self):
        stub, ex = self.stub(json_reply({"status": "alive"}))
        with self.assertRaises(ExecutorCallError):
            self.web.update(ex, [1], [-1])

    def test_read_log_follows_windows(self):
        text = ("x" * 70000 + "€" * 10).encode()

        def responder(req):
            p = dict(req.params)
            off, length = int(p["offset"]), int(p["length"])
            chunk = text[off:off + length]
            lead, kept = utf8_trim(chunk)
            return 200, "application/json", json.dumps(
                {"offset": off + lead, "length": len(kept), "data": kept.decode()}).encode()

        stub, ex = self.stub(responder)
        self.assertEqual(self.web.read_log(ex, 4), text.decode())
        self.assertEqual([dict(r.params)["offset"] for r in stub.requests], ["0", "50000", "70030"])

    def test_encode_form(self):
        self.assertEqual(encode_form([("a", "x y/ü"), ("b", None), ("c", 1)]),
                         "a=x+y%2F%C3%BC&b&c=1")


class UpdaterTest(DbTestCase):
    def setUp(self):
        super().setUp()
        src = paths.reference_project("exectest1")
        self.flow = self.web.build_flow_data(src, "job10", 1, "x", 1)
        self.exec_id = self.web.submit(self.flow)
        self.replies = []
        def responder(req):
            updated = self.replies.pop(0) if self.replies else []
            return 200, "application/json", json.dumps({"updated": updated}).encode()
        self.stub_server, self.ex = self.stub(responder)
        self.up = Updater(self.web)
        self.up.track(self.exec_id, self.ex, self.flow)

    def delta(self, status, t, nodes=()):
        return {"id": "job10", "status": status, "startTime": 1, "endTime": -1, "updateTime": t,
                "attempt": 0, "executionId": self.exec_id, "nodes": list(nodes)}

    def test_applies_deltas_then_finalises(self):
        job1 = {"id": "job1", "status": 50, "startTime": 2, "endTime": 3, "updateTime": 3,
                "attempt": 0}
        self.replies = [[self.delta(30, 10, [job1])], [], [self.delta(50, 20)]]
        self.up.poll_once()
        _, copy = self.up.running[self.exec_id]
        self.assertEqual(copy["status"], "RUNNING")
        self.assertEqual(flowdata.find_node(copy, "job1")["status"], "SUCCEEDED")
        self.assertEqual(self.stub_server.requests[-1].params[1], ("updatetime", "[-1]"))
        self.up.poll_once()
        self.assertEqual(self.stub_server.requests[-1].params[1], ("updatetime", "[10]"))
        done = self.up.run_until_done(timeout=10, interval=0.01)
        self.assertEqual(done[self.exec_id][0], "finished")
        self.assertEqual(self.up.protocol_errors, [])

    def test_flow_does_not_exist_finalises_as_failed(self):
        self.replies = [[{"error": "Flow does not exist", "executionId": self.exec_id}]]
        self.up.run_until_done(timeout=10, interval=0.01)
        self.assertEqual(self.web.execution_row(self.exec_id)["status"], 70)

    def test_unknown_node_is_protocol_error(self):
        bad = {"id": "nope", "status": 30, "startTime": 1, "endTime": -1, "updateTime": 5,
               "attempt": 0}
        self.replies = [[self.delta(30, 5, [bad])]]
        self.up.poll_once()
        self.assertEqual(len(self.up.protocol_errors), 1)
        self.replies = [[dict(self.delta(30, 5), status="RUNNING")]]
        self.up.poll_once()
        self.assertEqual(len(self.up.protocol_errors), 2)

    def test_missing_times_become_minus_one(self):
        entry = self.delta(30, 5)
        del entry["startTime"]
        self.replies = [[entry]]
        self.up.poll_once()
        self.assertEqual(self.up.running[self.exec_id][1]["startTime"], -1)

    def test_executor_row_gone_finalises(self):
        self.stub_server.responder = json_reply({}, status=500)
        self.up.poll_once()  # row 7 does not exist in `executors`
        self.assertIn(self.exec_id, self.up.finalized)
        self.assertEqual(self.up.finalized[self.exec_id][0], "executor row gone")

    def test_background_thread(self):
        self.replies = [[self.delta(30, 10)], [], [self.delta(50, 20)]]
        self.up.start(interval=0.02)
        self.addCleanup(self.up.stop)
        done = self.up.wait_done([self.exec_id], timeout=10)
        self.assertEqual(done[self.exec_id][0], "finished")
        self.assertEqual(self.up.seen_statuses[self.exec_id], ["PREPARING", "RUNNING", "SUCCEEDED"])
        self.assertEqual(self.up.web_copy(self.exec_id)["updateTime"], 20)

    def test_finalisation_retried_when_db_fails(self):
        calls = []
        real = self.web.finalize

        def flaky(exec_id, flow):
            calls.append(exec_id)
            if len(calls) == 1:
                raise ConnectionError("database away")
            return real(exec_id, flow)
        self.web.finalize = flaky
        self.replies = [[self.delta(50, 20)]]
        self.up.poll_once()
        self.assertIn(self.exec_id, self.up.running)
        self.up.poll_once()  # retried without needing another delta
        self.assertEqual(calls, [self.exec_id, self.exec_id])
        self.assertEqual(self.up.finalized[self.exec_id][0], "finished")

    def test_executor_row_present_keeps_trying(self):
        self.web.execute("INSERT INTO executors (id, host, port, active) VALUES (7, 'h', 1, 1)")
        self.stub_server.responder = json_reply({}, status=500)
        self.up.poll_once()
        self.assertIn(self.exec_id, self.up.running)
        self.assertEqual(len(self.up.call_errors), 1)


if __name__ == "__main__":
    unittest.main()
