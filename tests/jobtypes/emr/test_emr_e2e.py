#!/usr/bin/python3
"""End-to-end: `azkaban-executor run` with `emr` jobs against the AWS emulator.

Run with /usr/bin/python3 (the emulator needs Debian's python3-botocore). AZX_EXECUTOR_BIN names
the executor binary. Every client is pointed at the loopback emulator; IMDS is disabled.
"""

import glob
import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "aws_emulator"))
from harness import Emulator, TEST_ACCESS_KEY, TEST_SECRET_KEY  # noqa: E402

BIN = os.environ.get("AZX_EXECUTOR_BIN", "azkaban-executor")
CLUSTER = "e2e-batch-cluster"

# Mimics dwp/aws-azkaban step.sh: $1 flow id, $2 EMR user, $3 script, then the argument text
# expanded UNQUOTED, so the shell splits it on white space and quotes stay literal.
STEP_SH = """#!/bin/bash
AZK_ID="$1"; export AZK_ID
EMR_USER="$2"; export EMR_USER
SCRIPT="$3"
shift 3
set -f
exec "$SCRIPT" $@
"""

ARGS_SCRIPT = """#!/bin/bash
echo "SCRIPT-START user=$EMR_USER azk_id=$AZK_ID count=$#"
for a in "$@"; do echo "ARG[$a]"; done
for i in 1 2 3 4 5; do echo "line $i"; done
echo "to stderr" >&2
sleep "${SLEEP_SECONDS:-0}"
echo "SCRIPT-END"
exit "${EXIT_CODE:-0}"
"""


def wait_until(pred, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return None


class EmrE2E(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="emr-e2e-")
        self.emu = None

    def tearDown(self):
        if self.emu:
            self.emu.stop()
        if os.environ.get("EMR_E2E_KEEP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------------ helpers
    def start_emulator(self, config=None, cluster=True, state="WAITING"):
        cfg = {"emr": {"step_start_delay_ms": 0, "cancel_kill_grace_ms": 2000}}
        cfg.update(config or {})
        self.emu = Emulator(config=cfg, state_dir=os.path.join(self.tmp, "emu")).start()
        if cluster:
            self.cluster_id = self.emu.admin("POST", "emr/clusters", {"name": CLUSTER, "state": state})["id"]
        return self.emu

    def write(self, rel, text, mode=0o644):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def plugins(self, extra_sys=""):
        step_sh = self.write("emr-master/step.sh", STEP_SH, 0o755)
        self.write("plugins/commonprivate.properties", "execute.as.user=false\n")
        self.write("plugins/emr/private.properties", textwrap.dedent(f"""\
            jobtype.class=uk.gov.dwp.dataworks.azkaban.jobtype.EMRStep
            execute.as.user=true
            azkaban.server.blacklist.users=azkaban
            use.emr.user=true
            aws.emr.cluster.name={CLUSTER}
            aws.emr.step.name=batch-step
            aws.emr.step.script={step_sh}
            aws.region=eu-west-2
            aws.emr.poll.interval=1000
            aws.emr.log.poll.interval=1000
            emr.cluster.wait.interval=500
            emr.boot.poll.interval=1000
            emr.boot.poll.attempts.max=20
            """) + extra_sys)
        return os.path.join(self.tmp, "plugins")

    def project(self, flow_yaml):
        self.write("project/e2e.project", "azkaban-flow-version: 2.0\n")
        self.write("project/e2e.flow", flow_yaml)
        return os.path.join(self.tmp, "project")

    def env(self, credentials="static"):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "AZK_")) and k not in ("USER_POOL_ID", "COGNITO_ROLE_ARN")}
        env.update({"AWS_ENDPOINT_URL": self.emu.endpoint, "AWS_REGION": "eu-west-2",
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": os.path.join(self.tmp, "none"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "none")})
        if credentials == "static":
            env["AWS_ACCESS_KEY_ID"] = TEST_ACCESS_KEY
            env["AWS_SECRET_ACCESS_KEY"] = TEST_SECRET_KEY
        else:
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"{self.emu.endpoint}/v2/credentials/e2e"
        return env

    def run_cli(self, project, plugin_dir, env, extra=(), timeout=240):
        self.data_dir = os.path.join(self.tmp, "data")
        cmd = [BIN, "run", project, "--plugin-dir", plugin_dir, "--output", "json",
               "--data-dir", self.data_dir, *extra]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        return p, self.parse(p.stdout, p.stderr)

    def parse(self, stdout, stderr):
        lines = [l for l in stdout.splitlines() if l.startswith("{")]
        self.assertTrue(lines, f"no JSON summary; stdout={stdout!r} stderr={stderr[-3000:]!r}")
        return json.loads(lines[-1])

    def job_log(self, name):
        db = os.path.join(self.data_dir, "executor.db")
        text = ""
        con = sqlite3.connect(db)
        try:
            rows = con.execute("SELECT enc_type, log FROM execution_logs WHERE name=? "
                               "ORDER BY attempt, start_byte", (name,)).fetchall()
        finally:
            con.close()
        for enc, blob in rows:
            data = bytes(blob or b"")
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            text += data.decode("utf-8", "replace")
        if not text:  # fall back to the files in the execution directory
            for path in glob.glob(os.path.join(self.data_dir, "executions", "*", f"_job.*.{name}.log*")):
                with open(path, errors="replace") as f:
                    text += f.read()
        return text

    def steps(self):
        return self.emu.admin("GET", "emr/steps")["steps"]

    def calls(self):
        return self.emu.admin("GET", "calls")

    # ------------------------------------------------------------------ tests
    def test_success_arguments_and_log_relay(self):
        self.start_emulator()
        script = self.write("emr-master/args.sh", ARGS_SCRIPT, 0o755)
        project = self.project(textwrap.dedent(f"""\
            nodes:
              - name: prepare
                type: command
                config:
                  command: echo prepare-ran
              - name: emr_ok
                type: emr
                dependsOn: [prepare]
                config:
                  step: {script} one "two three" 'four'  five
              - name: after
                type: command
                dependsOn: [emr_ok]
                config:
                  command: echo after-ran
            """))
        p, summary = self.run_cli(project, self.plugins(), self.env())
        self.assertEqual(summary["status"], "SUCCEEDED", p.stderr[-4000:])
        self.assertEqual(p.returncode, 0)
        for n in ("prepare", "emr_ok", "after"):
            self.assertEqual(summary["nodes"][n]["status"], "SUCCEEDED")
        log = self.job_log("emr_ok")
        # Arguments: the text after the script is ONE step argument; step.sh splits it unquoted.
        self.assertIn("count=5", log)
        for arg in ("ARG[one]", 'ARG["two]', 'ARG[three"]', "ARG['four']", "ARG[five]"):
            self.assertIn(arg, log)
        # Every relayed line exactly once.
        for line in ["SCRIPT-END", "to stderr"] + [f"line {i}" for i in range(1, 6)]:
            self.assertEqual(sum(1 for l in log.splitlines() if l.endswith(line)), 1, line)
        self.assertIn("EMR Step Complete", log)
        (step,) = self.steps()
        self.assertEqual(step["state"], "COMPLETED")
        self.assertEqual(len(step["args"]), 5)
        self.assertEqual(step["args"][3], script)
        self.assertEqual(step["args"][4], "one \"two three\" 'four'  five")
        self.assertIn(step["id"], log)
        self.assertIn(f"Got cluster id: '{self.cluster_id}'", log)
        # Lines in script order within stdout.
        order = [l for l in log.splitlines() if "line " in l]
        self.assertEqual([o.rsplit(" ", 1)[-1] for o in order], ["1", "2", "3", "4", "5"])
        self.assertNotIn(TEST_SECRET_KEY, log + p.stderr)
        self.assertEqual(self.calls()["calls"].get("lambda.Invoke", 0), 0)

    def test_failing_script_fails_job_and_flow(self):
        self.start_emulator()
        script = self.write("emr-master/args.sh", ARGS_SCRIPT, 0o755)
        failing = self.write("emr-master/fail.sh", "#!/bin/bash\necho about-to-fail\nexit 3\n", 0o755)
        project = self.project(textwrap.dedent(f"""\
            nodes:
              - name: emr_fail
                type: emr
                config:
                  step: {failing}
              - name: emr_ok
                type: emr
                config:
                  step: {script} x
              - name: after_fail
                type: command
                dependsOn: [emr_fail]
                config:
                  command: echo should-not-run
            """))
        p, summary = self.run_cli(project, self.plugins(), self.env(), extra=["--failure-action", "finish-all"])
        self.assertEqual(summary["status"], "FAILED", p.stderr[-3000:])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(summary["nodes"]["emr_fail"]["status"], "FAILED")
        self.assertEqual(summary["nodes"]["emr_ok"]["status"], "SUCCEEDED")  # finish-all
        self.assertEqual(summary["nodes"]["after_fail"]["status"], "CANCELLED")
        log = self.job_log("emr_fail")
        self.assertIn("about-to-fail", log)
        self.assertIn("did not successfully complete. Reason: FAILED", log)

    def test_cancel_mid_step(self):
        self.start_emulator()
        sleeper = self.write("emr-master/sleep.sh",
                             "#!/bin/bash\necho sleeper-started\nsleep 120\necho never\n", 0o755)
        project = self.project(textwrap.dedent(f"""\
            nodes:
              - name: emr_long
                type: emr
                config:
                  step: {sleeper}
            """))
        self.data_dir = os.path.join(self.tmp, "data")
        proc = subprocess.Popen([BIN, "run", project, "--plugin-dir", self.plugins(), "--output", "json",
                                 "--data-dir", self.data_dir], env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            running = wait_until(lambda: any(s["state"] == "RUNNING" for s in self.steps()), 60)
            self.assertTrue(running, "step never ran")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=90)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        summary = self.parse(out, err)
        self.assertEqual(summary["nodes"]["emr_long"]["status"], "KILLED", err[-3000:])
        (step,) = self.steps()
        self.assertEqual(step["state"], "CANCELLED")
        self.assertEqual(self.calls()["calls"].get("emr.CancelSteps"), 1)
        self.assertIn("sleeper-started", self.job_log("emr_long"))

    def test_no_active_cluster_invokes_launcher_once(self):
        self.start_emulator(config={"lambda": {"functions": {"aws_analytical_env_emr_launcher": {
            "action": "create_cluster", "cluster_name_path": "overrides.Name", "cluster_delay_ms": 3000}}}},
            cluster=False)
        script = self.write("emr-master/args.sh", ARGS_SCRIPT, 0o755)
        project = self.project(textwrap.dedent(f"""\
            nodes:
              - name: emr_a
                type: emr
                config:
                  step: {script} a
                  emr.initial.wait: "200"
              - name: emr_b
                type: emr
                config:
                  step: {script} b
                  emr.initial.wait: "200"
            """))
        p, summary = self.run_cli(project, self.plugins("aws.emr.copy.secconfig=true\n"), self.env())
        self.assertEqual(summary["status"], "SUCCEEDED", p.stderr[-3000:])
        inv = self.emu.admin("GET", "lambda/invocations")
        invocations = inv.get("invocations", inv)
        self.assertEqual(len(invocations), 1, invocations)
        self.assertEqual(self.calls()["calls"].get("lambda.Invoke"), 1)
        payload = invocations[0].get("payload", invocations[0])
        if isinstance(payload, str):
            payload = json.loads(payload)
        self.assertEqual(payload, {"overrides": {"Name": CLUSTER}, "copy_secconfig": True})
        self.assertEqual(len(self.steps()), 2)
        self.assertIn("starting one up", self.job_log("emr_a") + self.job_log("emr_b"))

    def test_throttling_storm_and_5xx_burst(self):
        self.start_emulator(config={"rate_limits": {"emr.*": {"rate": 0.5, "burst": 2},
                                                    "logs.GetLogEvents": {"rate": 1, "burst": 2}}})
        script = self.write("emr-master/args.sh", ARGS_SCRIPT, 0o755)
        nodes = "nodes:\n"
        for i in range(4):
            nodes += textwrap.indent(textwrap.dedent(f"""\
                - name: emr_{i}
                  type: emr
                  config:
                    step: {script} job{i}
                """), "  ")
        project = self.project(nodes)
        env = self.env()
        for api in ("emr.ListSteps", "logs.GetLogEvents", "emr.DescribeCluster"):
            self.emu.admin("POST", "faults", {"api": api, "count": 4, "status": 500})
        self.emu.admin("POST", "faults", {"api": "emr.ListClusters", "count": 2, "status": 503})
        p, summary = self.run_cli(project, self.plugins(), env, timeout=400)
        self.assertEqual(summary["status"], "SUCCEEDED", p.stderr[-3000:])
        outcomes = self.calls()["outcomes"]
        throttled = sum(n for api, st in outcomes.items() for code, n in st.items() if str(code) == "400")
        errors5xx = sum(n for api, st in outcomes.items() for code, n in st.items() if str(code).startswith("5"))
        self.assertGreater(throttled, 0, outcomes)  # the storm did happen
        self.assertGreaterEqual(errors5xx, 14, outcomes)
        for i in range(4):
            self.assertIn("SCRIPT-END", self.job_log(f"emr_{i}"))
            self.assertIn(f"ARG[job{i}]", self.job_log(f"emr_{i}"))

    def test_event_mode_via_sqs(self):
        self.start_emulator()
        script = self.write("emr-master/args.sh", ARGS_SCRIPT, 0o755)
        queue = f"{self.emu.endpoint}/123456789012/emr-step-events"
        project = self.project(textwrap.dedent(f"""\
            nodes:
              - name: emr_ev
                type: emr
                config:
                  step: {script} ev
            """))
        plugin = self.plugins(f"aws.emr.events.queue.url={queue}\naws.emr.poll.interval=600000\n")
        p, summary = self.run_cli(project, plugin, self.env())
        self.assertEqual(summary["status"], "SUCCEEDED", p.stderr[-3000:])
        calls = self.calls()["calls"]
        self.assertGreaterEqual(calls.get("sqs.ReceiveMessage", 0), 1)
        self.assertGreaterEqual(calls.get("sqs.DeleteMessageBatch", 0), 1)
        self.assertEqual(self.emu.admin("GET", "sqs/queues/emr-step-events/messages").get("messages", []), [])
        self.assertLessEqual(calls.get("emr.ListSteps", 0), 1)  # events, not polling
        self.assertIn("event mode", self.job_log("emr_ev"))
        self.assertIn("SCRIPT-END", self.job_log("emr_ev"))

    def test_container_credentials_rotating_mid_step(self):
        self.start_emulator(config={"container_credentials": {"rotate_seconds": 1, "lifetime_seconds": 30}})
        # Steps run in the emulator's environment: the pause is in the script itself.
        script = self.write("emr-master/slow.sh", ARGS_SCRIPT.replace("${SLEEP_SECONDS:-0}", "6"), 0o755)
        project = self.project(textwrap.dedent(f"""\
            nodes:
              - name: emr_creds
                type: emr
                config:
                  step: {script} creds
            """))
        env = self.env(credentials="container")
        self.data_dir = os.path.join(self.tmp, "data")
        proc = subprocess.Popen([BIN, "run", project, "--plugin-dir", self.plugins(), "--output", "json",
                                 "--data-dir", self.data_dir], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_until(lambda: any(s["state"] == "RUNNING" for s in self.steps()), 60))
            first = self.emu.admin("GET", "credentials")
            # Rotate and revoke the key in use mid-step: later calls must pick up the new key.
            self.emu.admin("POST", "credentials/rotate", {"revoke_previous": True})
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        summary = self.parse(out, err)
        self.assertEqual(summary["status"], "SUCCEEDED", err[-3000:])
        last = self.emu.admin("GET", "credentials")
        self.assertNotEqual(json.dumps(first, sort_keys=True), json.dumps(last, sort_keys=True))
        self.assertIn("SCRIPT-END", self.job_log("emr_creds"))
        calls = self.calls()
        self.assertGreaterEqual(calls["calls"].get("container.credentials", 0), 2, calls["calls"])
        outcomes = calls["outcomes"]
        self.assertFalse(any(str(c) == "403" for st in outcomes.values() for c in st), outcomes)

    # ------------------------------------------------------------------ Cognito EMR users
    POOL = "eu-west-2_E2eCognito1"
    COGNITO_ROLE = "arn:aws:iam::123456789012:role/azkaban-executor-read-only-cognito-e2e"

    def seed_cognito(self):
        for g in ("data-analysts", "data-engineers", "unused"):
            self.emu.admin("POST", "cognito/groups", {"pool": self.POOL, "GroupName": g})
        # Local names: preferred_username (else Username) + the first 3 characters of sub.
        self.emu.admin("POST", "cognito/users", {
            "pool": self.POOL, "Username": "0c9a11-alice",
            "Attributes": {"preferred_username": "alice", "sub": "7f3e2a10-1111-2222-3333-444455556666"},
            "Groups": ["data-analysts", "data-engineers"]})
        self.emu.admin("POST", "cognito/users", {
            "pool": self.POOL, "Username": "bob",
            "Attributes": {"sub": "e91d5c00-aaaa-bbbb-cccc-ddddeeeeffff"}, "Groups": ["data-analysts"]})

    def cognito_project(self):
        script = self.write("emr-master/args.sh", ARGS_SCRIPT, 0o755)
        return self.project(textwrap.dedent(f"""\
            nodes:
              - name: emr_alice
                type: emr
                config:
                  user.to.proxy: alice7f3
                  step: {script} a
              - name: emr_bob
                type: emr
                config:
                  user.to.proxy: bobe91
                  step: {script} b
            """))

    def test_cognito_group_is_the_emr_user(self):
        self.start_emulator()
        self.seed_cognito()
        env = self.env()
        # The Java image's variables; pages of one so every listing takes several calls.
        env.update(USER_POOL_ID=self.POOL, COGNITO_ROLE_ARN=self.COGNITO_ROLE, AZK_AZKABAN_COGNITO_PAGE_SIZE="1")
        p, summary = self.run_cli(self.cognito_project(), self.plugins("use.emr.user=false\n"), env)
        self.assertEqual(summary["status"], "SUCCEEDED", p.stdout[-3000:] + p.stderr[-3000:])
        # Neither user exists on this machine: the emr job needs no OS account.
        alice, bob = self.job_log("emr_alice"), self.job_log("emr_bob")
        self.assertIn("Effective user: 'alice7f3'", alice)
        # Cognito groups follow /etc/group's lines and the last one listing the user wins.
        self.assertIn("Script to be run as emr user 'data-engineers'", alice)
        self.assertIn("SCRIPT-START user=data-engineers", alice)
        self.assertIn("Script to be run as emr user 'data-analysts'", bob)
        self.assertEqual(sorted(s["args"][2] for s in self.steps()), ["data-analysts", "data-engineers"])
        out = p.stdout + p.stderr
        self.assertIn(f"Cognito user directory: 3 groups, 2 users from Cognito user pool '{self.POOL}' "
                      f"(eu-west-2, role {self.COGNITO_ROLE})", out)
        calls = self.calls()["calls"]
        self.assertEqual(calls.get("sts.AssumeRole"), 1, calls)
        self.assertEqual(calls.get("cognito-idp.ListGroups"), 3, calls)        # 3 groups, 1 a page
        self.assertEqual(calls.get("cognito-idp.ListUsersInGroup"), 4, calls)  # 2 + 1 + 1 (empty)
        callers = {c["caller"] for c in self.emu.admin("GET", "cognito/calls")["calls"]}
        self.assertEqual(callers, {"arn:aws:sts::123456789012:assumed-role/"
                                   "azkaban-executor-read-only-cognito-e2e/EMR_Get_Users"})

    def test_unreachable_cognito_is_logged_and_not_fatal(self):
        self.start_emulator()
        env = self.env()
        env["USER_POOL_ID"] = "eu-west-2_NoSuchPool"
        p, summary = self.run_cli(self.cognito_project(), self.plugins("use.emr.user=false\n"), env)
        out = p.stdout + p.stderr
        self.assertIn("Cognito user directory: load from Cognito user pool 'eu-west-2_NoSuchPool'", out)
        self.assertIn("User pool eu-west-2_NoSuchPool does not exist.", out)
        # The run goes on; without a group the emr jobs fail clearly and submit nothing.
        self.assertEqual(summary["status"], "FAILED")
        self.assertIn("No group found for user 'alice7f3' in /etc/group or Cognito user pool "
                      "'eu-west-2_NoSuchPool'", self.job_log("emr_alice"))
        self.assertEqual(self.steps(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
