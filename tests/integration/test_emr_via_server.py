"""End-to-end: the `emr` job type through the web server's HTTP path.

A private MariaDB, the web-server driver (upload, submit, `execute`, `update` polling,
`cancel`), the real executor (`azkaban-executor serve`) and the AWS emulator holding one
WAITING cluster. Same plugin layout and properties as tests/jobtypes/emr/test_emr_e2e.py,
which covers the job type through `azkaban-executor run`.

Run with /usr/bin/python3 (python3-pymysql, python3-yaml and, for the emulator,
python3-botocore are Debian packages). AZX_EXECUTOR_BIN names the executor binary.
"""

import os
import shutil
import signal
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "aws_emulator"))

from azkweb import flowdata  # noqa: E402
from azkweb.waiting import wait_for  # noqa: E402
from azkweb.executor_proc import ExecutorProcess, require_serve  # noqa: E402
from azkweb.mariadb import MariaDB  # noqa: E402
from azkweb.webdriver import Updater, WebDriver  # noqa: E402
from harness import Emulator, TEST_ACCESS_KEY, TEST_SECRET_KEY  # noqa: E402

BIN = None
DB = None

CLUSTER = "via-server-cluster"
SUBMIT_USER = "tester"
JOB_SUCCEEDED, JOB_KILLED = 50, 60  # execution_jobs.status codes

# Mimics dwp/aws-azkaban step.sh: $1 flow id, $2 EMR user, $3 script, then the argument text
# expanded unquoted (as in tests/jobtypes/emr/test_emr_e2e.py).
STEP_SH = """#!/bin/bash
AZK_ID="$1"; export AZK_ID
EMR_USER="$2"; export EMR_USER
SCRIPT="$3"
shift 3
set -f
exec "$SCRIPT" $@
"""

OK_SCRIPT = """#!/bin/bash
echo "VIA-SERVER-START user=$EMR_USER count=$#"
for a in "$@"; do echo "ARG[$a]"; done
echo "to stderr via server" >&2
echo "VIA-SERVER-END"
"""

# The Java image's Cognito variables (its entrypoint read them); kept out of the executor's
# environment so the Cognito tests see azkaban.properties only.
COGNITO_ENV = ("USER_POOL_ID", "COGNITO_ROLE_ARN")

SLEEP_SCRIPT = """#!/bin/bash
echo "sleeper-started"
sleep 60
echo "sleeper-never-printed"
"""


def setUpModule():  # noqa: N802 - unittest naming
    global BIN, DB
    BIN = require_serve()
    DB = MariaDB().setup()


def tearDownModule():  # noqa: N802
    if DB is not None:
        DB.teardown()


def output_param(params, key):
    """A key of execution_jobs.output_params: a flat map, or a {"props","parent"} chain."""
    while isinstance(params, dict):
        if "props" in params and isinstance(params["props"], dict):
            if key in params["props"]:
                return params["props"][key]
            params = params.get("parent")
        else:
            return params.get(key)
    return None


class EmrViaServerTest(unittest.TestCase):
    def setUp(self):
        DB.clear_tables()
        self.tmp = tempfile.mkdtemp(prefix="azx-emr-web-")
        if os.environ.get("EMR_E2E_KEEP") != "1":
            self.addCleanup(shutil.rmtree, self.tmp, True)
        # The emulator: steps start at once, a cancelled step's process gets 2 s to go.
        self.emu = Emulator(config={"emr": {"step_start_delay_ms": 0,
                                            "cancel_kill_grace_ms": 2000}},
                            state_dir=os.path.join(self.tmp, "emu")).start()
        self.addCleanup(self.emu.stop)
        self.cluster_id = self.emu.admin("POST", "emr/clusters",
                                         {"name": CLUSTER, "state": "WAITING"})["id"]
        self.web = WebDriver(DB)
        self.addCleanup(self.web.close)
        self.updater = Updater(WebDriver(DB))
        self.updater.start(interval=0.5)
        self.addCleanup(self.updater.stop)

    # -- files -------------------------------------------------------------------------------
    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def write_emr_plugin(self, exec_name, use_emr_user=True):
        """plugins/jobtypes/emr/private.properties in the executor's working directory
        (ExecutorProcess writes plugins/jobtypes/commonprivate.properties itself). Without
        `use_emr_user` the key is left out: the EMR user is then the effective user's group."""
        step_sh = self.write("emr-master/step.sh", STEP_SH, 0o755)
        self.write(os.path.join(exec_name, "plugins", "jobtypes", "emr", "private.properties"),
                   textwrap.dedent(f"""\
                       jobtype.class=uk.gov.dwp.dataworks.azkaban.jobtype.EMRStep
                       execute.as.user=true
                       azkaban.server.blacklist.users=azkaban
                       aws.emr.cluster.name={CLUSTER}
                       aws.emr.step.name=via-server-step
                       aws.emr.step.script={step_sh}
                       aws.region=eu-west-2
                       aws.emr.poll.interval=1000
                       aws.emr.log.poll.interval=1000
                       emr.cluster.wait.interval=500
                       emr.boot.poll.interval=1000
                       emr.boot.poll.attempts.max=20
                       """) + ("use.emr.user=true\n" if use_emr_user else ""))

    def aws_env(self):
        # No AZK_* overrides and none of the Java image's Cognito variables: the executor's
        # settings come from azkaban.properties only.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "AZK_")) and k not in COGNITO_ENV}
        env.update({"AWS_ENDPOINT_URL": self.emu.endpoint, "AWS_REGION": "eu-west-2",
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": os.path.join(self.tmp, "none"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "none"),
                    "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
                    "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY})
        return env

    def start_executor(self, name="exec", extra=None, use_emr_user=True):
        self.write_emr_plugin(name, use_emr_user)
        props = {"executor.flow.threads": "4"}
        props.update(extra or {})
        proc = ExecutorProcess(BIN, DB, self.tmp, name, extra=props, env=self.aws_env())
        self.addCleanup(self._stop_executor, proc)
        proc.start()
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

    def project(self, name, flow_name, flow_yaml):
        root = os.path.join(self.tmp, "projects-src", name)
        self.write(os.path.join(root, name + ".project"), "azkaban-flow-version: 2.0\n")
        self.write(os.path.join(root, flow_name + ".flow"), flow_yaml)
        return root

    # -- the web's path ------------------------------------------------------------------------
    def run_push(self, executor, project_dir, flow_name, submit_user=SUBMIT_USER):
        name = os.path.basename(project_dir)
        pid, ver = self.web.upload_project(name, project_dir, uploader=submit_user)
        flow = self.web.build_flow_data(project_dir, flow_name, pid, name, ver,
                                        submit_user=submit_user)
        self.assertEqual(flow["azkabanFlowVersion"], 2.0)
        exec_id = self.web.submit(flow, push=True)
        self.assertEqual(self.web.dispatch(exec_id, executor), {})
        self.updater.track(exec_id, executor, flow)
        return exec_id

    def finish(self, exec_id, timeout):
        reason, web_copy = self.updater.wait_done([exec_id], timeout)[exec_id]
        self.assertEqual(self.updater.protocol_errors, [])
        self.assertEqual(reason, "finished", "the web finalised the execution itself: " + reason)
        code = flowdata.STATUS_CODES[web_copy["status"]]
        row = self.web.wait_row(exec_id, lambda r: r["status"] == code and
                                r["flow_data"]["status"] == web_copy["status"], 10,
                                what="final row written")
        self.assertEqual(flowdata.node_statuses(web_copy), flowdata.node_statuses(row["flow_data"]))
        return row

    def jobs_by_id(self, exec_id):
        rows = self.web.job_rows(exec_id)
        self.assertEqual(len(rows), len({(r["job_id"], r["attempt"]) for r in rows}))
        return {r["job_id"]: r for r in rows}

    def steps(self):
        return self.emu.admin("GET", "emr/steps")["steps"]

    def calls(self):
        return self.emu.admin("GET", "calls")["calls"]

    def diag(self, proc):
        return "\nexecutor output:\n%s\nemulator stderr:\n%s" % (proc.output(),
                                                                   self.emu.stderr()[-3000:])

    # -- cases ---------------------------------------------------------------------------------
    def test_emr_then_command_succeeds(self):
        proc, ex = self.start_executor()
        script = self.write("emr-master/ok.sh", OK_SCRIPT, 0o755)
        src = self.project("emrweb", "emrflow", textwrap.dedent(f"""\
            nodes:
              - name: emr_step
                type: emr
                config:
                  step: {script} alpha beta
              - name: after
                type: command
                dependsOn: [emr_step]
                config:
                  command: echo after-emr-ran
            """))
        exec_id = self.run_push(ex, src, "emrflow")
        try:
            row = self.finish(exec_id, timeout=180)
        except TimeoutError as e:
            self.fail("%s%s" % (e, self.diag(proc)))
        self.assertEqual(row["status"], flowdata.STATUS_CODES["SUCCEEDED"], self.diag(proc))
        self.assertEqual(row["flow_data"]["status"], "SUCCEEDED")
        self.assertEqual(row["executor_id"], ex.id)
        self.assertEqual(flowdata.node_statuses(row["flow_data"]),
                         {"emr_step": "SUCCEEDED", "after": "SUCCEEDED"})

        jobs = self.jobs_by_id(exec_id)
        self.assertEqual(set(jobs), {"emr_step", "after"})
        for job in jobs.values():
            self.assertEqual((job["flow_id"], job["status"], job["attempt"]),
                             ("emrflow", JOB_SUCCEEDED, 0), job["job_id"])
        self.assertGreaterEqual(jobs["after"]["start_time"], jobs["emr_step"]["end_time"])

        (step,) = self.steps()
        self.assertEqual(step["state"], "COMPLETED")
        self.assertEqual(step["args"][2], SUBMIT_USER)  # EMR user = submit user (use.emr.user)
        self.assertEqual(step["args"][3], script)
        self.assertEqual(step["args"][4], "alpha beta")
        self.assertEqual(self.calls().get("emr.AddJobFlowSteps"), 1)

        out = jobs["emr_step"]["output_params"]
        self.assertEqual(output_param(out, "emr.step.id"), step["id"], out)
        self.assertEqual(output_param(out, "emr.cluster.id"), self.cluster_id, out)

        # The job log as the web reads it from execution_logs.
        log = self.web.logs_from_db(exec_id, "emr_step")
        for text in ("VIA-SERVER-START user=%s count=2" % SUBMIT_USER, "ARG[alpha]",
                     "ARG[beta]", "to stderr via server", "VIA-SERVER-END"):
            self.assertEqual(sum(1 for line in log.splitlines() if line.endswith(text)), 1,
                             "%r in emr_step log:\n%s" % (text, log[-4000:]))
        self.assertIn("Got cluster id: '%s'" % self.cluster_id, log)
        self.assertIn(step["id"], log)
        self.assertIn("EMR Step Complete", log)
        self.assertNotIn(TEST_SECRET_KEY, log)
        self.assertIn("after-emr-ran", self.web.logs_from_db(exec_id, "after"))

    def test_cancel_while_step_runs(self):
        proc, ex = self.start_executor()
        script = self.write("emr-master/sleep.sh", SLEEP_SCRIPT, 0o755)
        src = self.project("emrcancel", "emrcancel", textwrap.dedent(f"""\
            nodes:
              - name: emr_long
                type: emr
                config:
                  step: {script}
            """))
        exec_id = self.run_push(ex, src, "emrcancel")
        try:
            wait_for(lambda: any(s["state"] == "RUNNING" for s in self.steps()), 60,
                     "emulator step RUNNING")
            self.web.wait_node_status(exec_id, "emr_long", ("RUNNING",), timeout=30)
            # The step's first output reaches the job log before the cancel.
            wait_for(lambda: "sleeper-started" in self.web.read_log(ex, exec_id, "emr_long"), 30,
                     "step output relayed to the job log")
        except TimeoutError as e:
            self.fail("%s%s" % (e, self.diag(proc)))
        self.assertEqual(self.web.cancel(ex, exec_id, SUBMIT_USER), {"status": "success"})
        try:
            row = self.finish(exec_id, timeout=90)
        except TimeoutError as e:
            self.fail("%s%s" % (e, self.diag(proc)))
        self.assertEqual(row["status"], flowdata.STATUS_CODES["KILLED"], self.diag(proc))
        self.assertEqual(row["flow_data"]["status"], "KILLED")
        self.assertEqual(flowdata.node_statuses(row["flow_data"]), {"emr_long": "KILLED"})

        jobs = self.jobs_by_id(exec_id)
        self.assertEqual(set(jobs), {"emr_long"})
        self.assertEqual(jobs["emr_long"]["status"], JOB_KILLED)

        (step,) = self.steps()
        self.assertEqual(step["state"], "CANCELLED", step)
        self.assertEqual(self.calls().get("emr.CancelSteps"), 1)
        out = jobs["emr_long"]["output_params"]
        if out:  # outputs are written on failure too once a step exists
            self.assertEqual(output_param(out, "emr.step.id"), step["id"], out)
        log = self.web.logs_from_db(exec_id, "emr_long")
        self.assertIn("Submitted EMR step id: '%s'" % step["id"], log)
        self.assertIn("sleeper-started", log)  # relayed before the cancel
        self.assertNotIn("sleeper-never-printed", log)


    # -- Cognito EMR users (emr-jobtypes 2.3.2-2.3.3, src/jobtypes/emr/README.md) ------------
    POOL = "eu-west-2_ViaServer1"
    COGNITO_ROLE = "arn:aws:iam::123456789012:role/azkaban-cognito-via-server"
    # Set explicitly, it wins over the pool id's prefix (and AWS_REGION=eu-west-2); the
    # emulator answers in any region, so only the directory's description shows it.
    COGNITO_REGION = "eu-west-3"
    DESCRIPTION = "Cognito user pool '%s' (%s, role %s)" % (POOL, COGNITO_REGION, COGNITO_ROLE)

    def seed_cognito(self):
        for group in ("emr-engineers", "emr-analysts"):
            self.emu.admin("POST", "cognito/groups", {"pool": self.POOL, "GroupName": group})
        # Local names (what the web submits under): preferred_username, else Username, + the
        # first three characters of sub: "carol5d1", "daveb07", "erinf4a".
        self.emu.admin("POST", "cognito/users", {
            "pool": self.POOL, "Username": "8d2f61aa-carol",
            "Attributes": {"preferred_username": "carol",
                           "sub": "5d1c0e2a-1111-2222-3333-444455556666"},
            "Groups": ["emr-analysts"]})
        self.emu.admin("POST", "cognito/users", {
            "pool": self.POOL, "Username": "dave",
            "Attributes": {"sub": "b07a9c31-aaaa-bbbb-cccc-ddddeeeeffff"},
            "Groups": ["emr-engineers"]})
        self.emu.admin("POST", "cognito/users", {  # in the pool, in no group
            "pool": self.POOL, "Username": "erin",
            "Attributes": {"sub": "f4a51d77-9999-8888-7777-666655554444"}})

    def start_cognito_executor(self):
        """An executor whose EMR users come from Cognito groups: the pool, its read role and
        region only in azkaban.properties; neither azkaban.service.user nor use.emr.user."""
        self.seed_cognito()
        proc, ex = self.start_executor(extra={
            "azkaban.cognito.user.pool.id": self.POOL,
            "azkaban.cognito.role.arn": self.COGNITO_ROLE,
            "azkaban.cognito.region": self.COGNITO_REGION,
        }, use_emr_user=False)
        for key in proc.env:
            self.assertFalse(key.startswith("AZK_") or key in COGNITO_ENV, key)
        with open(os.path.join(proc.workdir, "plugins", "jobtypes", "emr",
                               "private.properties")) as f:
            plugin = f.read()
        self.assertNotIn("use.emr.user", plugin)
        self.assertNotIn("azkaban.service.user", plugin)
        return proc, ex

    def executor_log(self, proc):
        with open(os.path.join(proc.workdir, "executor.out"), errors="replace") as f:
            return f.read()

    def cognito_flow(self, name):
        script = self.write("emr-master/ok.sh", OK_SCRIPT, 0o755)
        return self.project(name, name, textwrap.dedent(f"""\
            nodes:
              - name: emr_step
                type: emr
                config:
                  step: {script} gamma
            """))

    def test_cognito_group_from_properties_is_the_emr_user(self):
        proc, ex = self.start_cognito_executor()
        exec_id = self.run_push(ex, self.cognito_flow("emrcognito"), "emrcognito",
                                submit_user="carol5d1")
        try:
            row = self.finish(exec_id, timeout=180)
        except TimeoutError as e:
            self.fail("%s%s" % (e, self.diag(proc)))
        self.assertEqual(row["flow_data"]["status"], "SUCCEEDED", self.diag(proc))
        self.assertEqual(self.jobs_by_id(exec_id)["emr_step"]["status"], JOB_SUCCEEDED)

        (step,) = self.steps()
        self.assertEqual(step["state"], "COMPLETED")
        self.assertEqual(step["args"][2], "emr-analysts")  # EMR user = the user's Cognito group
        self.assertEqual(step["args"][4], "gamma")
        log = self.web.logs_from_db(exec_id, "emr_step")
        self.assertIn("Effective user: 'carol5d1'", log)
        self.assertIn("Script to be run as emr user 'emr-analysts'", log)
        self.assertIn("VIA-SERVER-START user=emr-analysts count=1", log)

        # Read at start from the properties' pool, region and role (session EMR_Get_Users).
        out = self.executor_log(proc)
        self.assertIn("Cognito user directory: 2 groups, 2 users from " + self.DESCRIPTION, out)
        cognito = self.emu.admin("GET", "cognito/calls")["calls"]
        self.assertTrue(cognito, "no Cognito call" + self.diag(proc))
        self.assertEqual({c["pool"] for c in cognito}, {self.POOL})
        self.assertEqual({c["caller"] for c in cognito},
                         {"arn:aws:sts::123456789012:assumed-role/azkaban-cognito-via-server/"
                          "EMR_Get_Users"})
        calls = self.calls()
        self.assertGreaterEqual(calls.get("sts.AssumeRole", 0), 1, calls)
        self.assertEqual(calls.get("emr.AddJobFlowSteps"), 1, calls)

    def test_cognito_user_in_no_group_fails_clearly(self):
        proc, ex = self.start_cognito_executor()
        exec_id = self.run_push(ex, self.cognito_flow("emrnogroup"), "emrnogroup",
                                submit_user="erinf4a")
        try:
            row = self.finish(exec_id, timeout=120)
        except TimeoutError as e:
            self.fail("%s%s" % (e, self.diag(proc)))
        self.assertEqual(row["flow_data"]["status"], "FAILED", self.diag(proc))
        self.assertEqual(flowdata.node_statuses(row["flow_data"]), {"emr_step": "FAILED"})
        self.assertEqual(self.jobs_by_id(exec_id)["emr_step"]["status"],
                         flowdata.STATUS_CODES["FAILED"])
        log = self.web.logs_from_db(exec_id, "emr_step")
        self.assertIn("Effective user: 'erinf4a'", log)
        self.assertIn("No group found for user 'erinf4a' in /etc/group or " + self.DESCRIPTION,
                      log)
        self.assertNotIn("Script to be run as emr user", log)
        # The directory was loaded (the user is simply in no group) and nothing reached EMR.
        self.assertIn("Cognito user directory: 2 groups, 2 users from " + self.DESCRIPTION,
                      self.executor_log(proc))
        self.assertEqual(self.steps(), [])
        self.assertIsNone(self.calls().get("emr.AddJobFlowSteps"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
