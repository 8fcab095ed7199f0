"""End-to-end tests of `azkaban-executor run` and `validate` as a person or a script uses them."""
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import textwrap
import time
import unittest
import zipfile

BIN = os.environ.get("AZX_EXECUTOR_BIN", "")
SOURCE = os.environ.get("AZX_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


class CliTest(unittest.TestCase):
    def setUp(self):
        if not BIN or not os.path.exists(BIN):
            self.skipTest("AZX_EXECUTOR_BIN is not set to a built azkaban-executor")
        self.work = tempfile.mkdtemp(prefix="azx-cli-")
        self.data = os.path.join(self.work, "data")

    def run_cli(self, *args, timeout=120):
        return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                              cwd=self.work)

    def run_json(self, project, *args):
        result = self.run_cli("run", project, "--output", "json", "--data-dir", self.data, *args)
        lines = [l for l in result.stdout.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "stdout must hold exactly one JSON document: %r" % result.stdout)
        return result, json.loads(lines[0])

    def flow2(self, name, body):
        root = os.path.join(self.work, name)
        write(os.path.join(root, "p.project"), "azkaban-flow-version: 2.0\n")
        write(os.path.join(root, "main.flow"), body)
        return root

    def test_example_project_succeeds_and_is_recorded(self):
        result, doc = self.run_json(os.path.join(SOURCE, "examples", "hello-flow"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(doc["flow"], "hello")
        self.assertEqual(doc["status"], "SUCCEEDED")
        self.assertEqual(doc["nodes"]["flaky"], {"status": "SUCCEEDED", "attempts": 2})
        self.assertIn("SUCCEEDED", result.stderr)  # progress went to stderr
        db = sqlite3.connect(os.path.join(self.data, "executor.db"))
        rows = db.execute("select status from execution_flows").fetchall()
        self.assertEqual(rows, [(50,)])
        jobs = db.execute("select job_id, attempt, status from execution_jobs order by job_id, attempt").fetchall()
        self.assertIn(("flaky", 0, 70), jobs)
        self.assertIn(("flaky", 1, 50), jobs)
        logs = db.execute("select count(*) from execution_logs where name = ''").fetchone()[0]
        self.assertGreaterEqual(logs, 1)

    def test_embedded_flow_nested_ids_and_failure_exit_code(self):
        project = self.flow2("emb", """\
            nodes:
              - name: start
                type: command
                config:
                  command: echo start
              - name: emb1
                type: flow
                dependsOn: [start]
                nodes:
                  - name: jobA
                    type: noop
                  - name: jobB
                    type: command
                    dependsOn: [jobA]
                    config:
                      command: bash -c 'exit 4'
              - name: after
                type: command
                dependsOn: [emb1]
                config:
                  command: echo never
            """)
        result, doc = self.run_json(project)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(doc["status"], "FAILED")
        self.assertEqual(doc["nodes"]["emb1:jobB"]["status"], "FAILED")
        self.assertEqual(doc["nodes"]["emb1"]["status"], "FAILED")
        self.assertEqual(doc["nodes"]["emb1:jobA"]["status"], "SUCCEEDED")
        self.assertEqual(doc["nodes"]["after"]["status"], "CANCELLED")

    def test_params_disable_and_failure_action(self):
        project = self.flow2("opts", """\
            nodes:
              - name: a
                type: command
                config:
                  command: bash -c 'test "${who}" = azkaban'
              - name: b
                type: command
                config:
                  command: bash -c 'exit 1'
              - name: c
                type: command
                config:
                  command: sleep 30
            """)
        result, doc = self.run_json(project, "--param", "who=azkaban", "--disable", "c")
        self.assertEqual(doc["nodes"]["a"]["status"], "SUCCEEDED")
        self.assertEqual(doc["nodes"]["c"]["status"], "SKIPPED")
        self.assertEqual(doc["status"], "FAILED")
        result, doc = self.run_json(project, "--failure-action", "cancel-all", "--param", "who=x")
        self.assertEqual(doc["status"], "KILLED")
        self.assertEqual(doc["nodes"]["c"]["status"], "KILLED")

    def test_malformed_projects_exit_2_with_one_line_per_problem(self):
        root = os.path.join(self.work, "cycle")
        write(os.path.join(root, "a.job"), "type=command\ncommand=echo\ndependencies=b\n")
        write(os.path.join(root, "b.job"), "type=command\ncommand=echo\ndependencies=a\n")
        write(os.path.join(root, "end.job"), "type=command\ncommand=echo\ndependencies=a,ghost\n")
        for command in ("validate", "run"):
            result = self.run_cli(command, root, "--data-dir", self.data) if command == "run" else self.run_cli(command, root)
            self.assertEqual(result.returncode, 2, result.stderr)
            errors = [l for l in result.stderr.splitlines() if l.startswith("error:")]
            self.assertTrue(any("end.job" in e and "ghost" in e for e in errors), errors)
            self.assertTrue(any("Cyclical dependency" in e for e in errors), errors)
        bad_yaml = self.flow2("yaml", "nodes:\n  - name: a\n   type: [\n")
        result = self.run_cli("validate", bad_yaml)
        self.assertEqual(result.returncode, 2)
        self.assertIn("main.flow", result.stderr)
        evil = os.path.join(self.work, "evil.zip")
        with zipfile.ZipFile(evil, "w") as z:
            z.writestr("ok.job", "type=noop\n")
            z.writestr("../../escaped.job", "type=noop\n")
        result = self.run_cli("run", evil, "--data-dir", self.data)
        self.assertEqual(result.returncode, 2)
        self.assertIn("../../escaped.job", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "escaped.job")))

    def test_ctrl_c_kills_the_flow_and_records_it(self):
        project = self.flow2("long", """\
            nodes:
              - name: sleeper
                type: command
                config:
                  command: sleep 120
            """)
        proc = subprocess.Popen([BIN, "run", project, "--output", "json", "--data-dir", self.data],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.work)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db_path = os.path.join(self.data, "executor.db")
            if os.path.exists(db_path):
                row = sqlite3.connect(db_path).execute(
                    "select count(*) from execution_jobs where status = 30").fetchone()
                if row[0] == 1:
                    break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        doc = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(doc["status"], "KILLED")
        self.assertEqual(doc["nodes"]["sleeper"]["status"], "KILLED")
        db = sqlite3.connect(os.path.join(self.data, "executor.db"))
        self.assertEqual(db.execute("select status from execution_flows").fetchall(), [(60,)])

    def test_flow_is_required_when_several_exist(self):
        root = os.path.join(self.work, "two")
        write(os.path.join(root, "x.job"), "type=noop\n")
        write(os.path.join(root, "y.job"), "type=noop\n")
        result = self.run_cli("run", root, "--data-dir", self.data)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--flow", result.stderr)
        result, doc = self.run_json(root, "--flow", "y")
        self.assertEqual(doc, {"flow": "y", "status": "SUCCEEDED",
                               "nodes": {"y": {"status": "SUCCEEDED", "attempts": 1}}})

    def test_local_run_maps_no_server_libraries(self):
        # `run` of command jobs stays in the binary: libcurl, MariaDB Connector/C, OpenSSL's TLS
        # and cpp-httplib are only mapped by the server module. The job reads its parent's maps.
        project = self.flow2("maps", """\
            nodes:
              - name: look
                type: command
                config:
                  command: bash -c 'cat /proc/$PPID/maps > parent.maps'
            """)
        result, doc = self.run_json(project)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(self.data, "executions", "1", "parent.maps")) as f:
            maps = f.read()
        self.assertIn("libsqlite3", maps)  # it is the executor's map
        for library in ("libcurl", "libmariadb", "libssl", "libcpp-httplib", "azkaban-executor-server"):
            self.assertNotIn(library, maps)

    def test_server_commands_name_the_missing_module(self):
        alone = os.path.join(self.work, "bin")
        os.makedirs(alone)
        copy = os.path.join(alone, "azkaban-executor")
        with open(BIN, "rb") as src, open(copy, "wb") as dst:
            dst.write(src.read())
        os.chmod(copy, 0o755)
        env = dict(os.environ)
        env.pop("AZX_SERVER_MODULE", None)
        result = subprocess.run([copy, "serve", "--conf", "conf"], capture_output=True, text=True,
                                timeout=60, cwd=self.work, env=env)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("'serve' needs the server module azkaban-executor-server.so; not found at "
                      + os.path.join(alone, "azkaban-executor-server.so"), result.stderr)
        # run and validate do not need it.
        result = subprocess.run([copy, "validate", os.path.join(SOURCE, "examples", "hello-flow")],
                                capture_output=True, text=True, timeout=60, cwd=self.work, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    unittest.main()
