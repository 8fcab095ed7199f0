#!/usr/bin/python3
"""Drives scripts/rotate_containers_dev.sh with the Debian aws CLI against the AWS emulator.

The script talks to the emulator (AWS_ENDPOINT_URL) through a small recording HTTP proxy
(HTTP_PROXY): the proxy forwards every request unchanged, so the emulator still checks each
signature and request shape, and it keeps the requests and responses so the tests can assert the
exact order and parameters of the calls. The emulator's admin API is the second witness (call
counts, recorded lambda invocations). For the `null` count cases the proxy answers one
DescribeServices itself with the shape AWS uses for a missing service (`failures`, no
`services`), which the emulator cannot be made to produce after a successful UpdateService.

Run with /usr/bin/python3 (Debian's botocore backs the emulator); AWS_CLI overrides /usr/bin/aws.
"""

import http.client
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# ROTATE_SCRIPT: run another copy (used to check that these tests catch broken variants).
SCRIPT = os.environ.get("ROTATE_SCRIPT", os.path.join(REPO, "scripts", "rotate_containers_dev.sh"))
sys.path.insert(0, os.path.join(REPO, "tests", "aws_emulator"))

from harness import TEST_ACCESS_KEY, TEST_SECRET_KEY, Emulator  # noqa: E402

AWS_CLI = os.environ.get("AWS_CLI", "/usr/bin/aws")
PROFILE = "azkaban-dev"
CLUSTER = "main"
LAMBDA = "azkaban-truncate-table"
TASK_DEF = "azkaban-executor:7"
EXECUTOR = "azkaban-executor"
WEBSERVER = "azkaban-webserver"


class RecordingProxy:
    """Forward HTTP proxy on 127.0.0.1 that records every JSON-protocol call.

    Each record: {"api": X-Amz-Target suffix or the path, "request": parsed body, "status",
    "response": parsed body, "sent"/"time": when the request arrived / was answered}. `override(api, request, records)` may return (status, doc) to answer
    a call itself instead of forwarding it.
    """

    def __init__(self):
        self.records = []
        self.lock = threading.Lock()
        self.override = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)  # absolute URI: http://127.0.0.1:port/...
                sent = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target")
                api = target.rsplit(".", 1)[-1] if target else url.path
                try:
                    request = json.loads(body) if body else None
                except ValueError:
                    request = body.decode(errors="replace")
                with proxy.lock:
                    canned = proxy.override(api, request, list(proxy.records)) if proxy.override else None
                if canned is not None:
                    status, doc = canned
                    out = json.dumps(doc).encode()
                    headers = {"Content-Type": "application/x-amz-json-1.1",
                               "x-amzn-RequestId": "proxy-canned"}
                else:
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=700)
                    fwd = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
                    path = url.path + ("?" + url.query if url.query else "")
                    conn.request(self.command, path, body=body, headers=fwd)
                    resp = conn.getresponse()
                    out = resp.read()
                    status = resp.status
                    headers = {k: v for k, v in resp.getheaders()
                               if k.lower() not in ("content-length", "transfer-encoding", "connection")}
                    conn.close()
                try:
                    response = json.loads(out) if out else None
                except ValueError:
                    response = out.decode(errors="replace")
                with proxy.lock:
                    proxy.records.append({"api": api, "request": request, "status": status,
                                          "response": response, "sent": sent, "time": time.time()})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def calls(self, api=None):
        with self.lock:
            return [r for r in self.records if api is None or r["api"] == api]


def services(executor_running=1, webserver_running=2, **extra):
    return {EXECUTOR: dict({"desiredCount": executor_running, "runningCount": executor_running}, **extra),
            WEBSERVER: {"desiredCount": webserver_running, "runningCount": webserver_running}}


class RotateScriptTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rotate-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, ecs_services, lambda_spec=None, converge_ms=200):
        config = {"ecs": {"converge_interval_ms": converge_ms,
                          "clusters": {CLUSTER: {"services": ecs_services}}},
                  "lambda": {"functions": {LAMBDA: lambda_spec or {"action": "static", "response": {
                      "numberOfRecordsUpdated": 0, "generatedFields": []}}}}}
        self.emu = Emulator(config=config).start()
        self.addCleanup(self.emu.stop)
        self.proxy = RecordingProxy().__enter__()
        self.addCleanup(self.proxy.__exit__)

    def env(self, **extra):
        config_file = os.path.join(self.tmp, "aws-config")
        with open(config_file, "w") as f:
            f.write(f"[profile {PROFILE}]\nregion = eu-west-2\naws_access_key_id = {TEST_ACCESS_KEY}\n"
                    f"aws_secret_access_key = {TEST_SECRET_KEY}\n")
        credentials_file = os.path.join(self.tmp, "aws-credentials")
        open(credentials_file, "w").close()
        # A clean environment: no inherited AWS_* settings, no pyenv on PATH.
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp, "LANG": "C.UTF-8",
               "AWS_CLI": AWS_CLI, "AWS_CONFIG_FILE": config_file,
               "AWS_SHARED_CREDENTIALS_FILE": credentials_file,
               "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
               "AWS_DEFAULT_REGION": "eu-west-2", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_ENDPOINT_URL": self.emu.endpoint,
               "HTTP_PROXY": f"http://127.0.0.1:{self.proxy.port}",
               "ROTATE_POLL_SECONDS": "0.3", "ROTATE_WAIT_SECONDS": "30"}
        env.update(extra)
        return env

    def run_script(self, args=(PROFILE, LAMBDA, CLUSTER, TASK_DEF), env=None, timeout=120):
        started = time.monotonic()
        p = subprocess.run(["/bin/bash", SCRIPT, *args], env=env if env is not None else self.env(),
                           cwd=self.tmp, capture_output=True, text=True, timeout=timeout)
        p.elapsed = time.monotonic() - started
        p.ended = time.time()
        return p

    def describe(self, service):
        """Current state as the emulator reports it (direct, not through the proxy)."""
        out = subprocess.run([AWS_CLI, "--profile", PROFILE, "--endpoint-url", self.emu.endpoint,
                              "ecs", "describe-services", "--cluster", CLUSTER, "--services", service,
                              "--output", "json"], env=dict(self.env(), HTTP_PROXY=""),
                             capture_output=True, text=True, check=True, timeout=60)
        return json.loads(out.stdout)["services"][0]

    def updates(self):
        """UpdateService requests that the emulator accepted, in order, without the cluster."""
        out = []
        for r in self.proxy.calls("UpdateService"):
            self.assertEqual(r["request"]["cluster"], CLUSTER)
            if r["status"] == 200:
                out.append({k: v for k, v in r["request"].items() if k != "cluster"})
        return out

    def invocations(self):
        return self.emu.admin("GET", "lambda/invocations")["invocations"]

    def assertFailedWith(self, p, text):
        self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(text, p.stderr, p.stdout + p.stderr)

    # ------------------------------------------------------------------ tests

    def test_usage_on_missing_arguments(self):
        full = [PROFILE, LAMBDA, CLUSTER, TASK_DEF]
        messages = ["AWS profile name not provided (arg 1)", "Lambda function name not provided (arg 2)",
                    "Cluster name not provided (arg 3)",
                    "Task definition <family>:<revision> name not provided (arg 4)"]
        env = {"PATH": "/usr/bin:/bin", "AWS_CLI": "/bin/false"}  # must not get as far as calling aws
        for n in range(4):
            with self.subTest(args=n):
                p = self.run_script(full[:n], env=env)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(messages[n], p.stderr)
                self.assertIn("usage: rotate_containers_dev.sh AWS_PROFILE TRUNCATE_LAMBDA CLUSTER "
                              "TASK_DEFINITION", p.stderr)
        p = self.run_script([PROFILE, LAMBDA, "", TASK_DEF], env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn(messages[2], p.stderr)
        p = self.run_script([PROFILE, LAMBDA, CLUSTER, "azkaban-executor"], env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is not <family>:<revision>", p.stderr)

    def test_full_rotation(self):
        # 4 s per task: the services take ~12 s to stop, so the stop wait really polls even when
        # each aws CLI run takes seconds.
        self.start(services(executor_running=3, webserver_running=3), converge_ms=4000)
        p = self.run_script()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

        # UpdateService: the four calls of the original, in its order, with its parameters.
        self.assertEqual(self.updates(), [
            {"service": EXECUTOR, "desiredCount": 0},
            {"service": WEBSERVER, "forceNewDeployment": True, "desiredCount": 0},
            {"service": EXECUTOR, "taskDefinition": TASK_DEF, "desiredCount": 1},
            {"service": WEBSERVER, "desiredCount": 1}])

        # Around the lambda: both services were seen at 0 running just before the truncate,
        # the executor was seen running before the web server was started.
        apis = [r["api"] for r in self.proxy.calls()]
        invoke = apis.index(f"/2015-03-31/functions/{LAMBDA}/invocations")
        self.assertEqual(apis.count(apis[invoke]), 1)
        last_seen = {}
        for r in self.proxy.calls()[:invoke]:
            if r["api"] == "DescribeServices":
                last_seen[r["request"]["services"][0]] = r["response"]["services"][0]["runningCount"]
        self.assertEqual(last_seen, {EXECUTOR: 0, WEBSERVER: 0})
        seen_running = [r["response"]["services"][0]["runningCount"] for r in self.proxy.calls()[:invoke]
                        if r["api"] == "DescribeServices"]
        self.assertTrue(any(seen_running), f"the stop wait never saw a running task: {seen_running}")
        start_web = max(i for i, a in enumerate(apis) if a == "UpdateService")
        between = [r for r in self.proxy.calls()[invoke + 1:start_web] if r["api"] == "DescribeServices"]
        self.assertTrue(between, "no describe-services while waiting for the executor")
        self.assertEqual({r["request"]["services"][0] for r in between}, {EXECUTOR})
        self.assertGreaterEqual(between[-1]["response"]["services"][0]["runningCount"], 1)
        self.assertTrue(all(r["status"] == 200 for r in self.proxy.calls()))

        # The emulator's own records agree.
        inv = self.invocations()
        self.assertEqual(len(inv), 1)
        self.assertEqual(inv[0]["function"], LAMBDA)
        self.assertEqual(inv[0]["payload"], {"table_to_truncate": "executors"})
        self.assertEqual(inv[0]["invocation_type"], "RequestResponse")
        calls = self.emu.admin("GET", "calls")["calls"]
        self.assertEqual(calls.get("ecs.UpdateService"), 4)
        self.assertEqual(calls.get("lambda.Invoke"), 1)
        self.assertEqual(calls.get("ecs.DescribeServices"), apis.count("DescribeServices"))

        executor, web = self.describe(EXECUTOR), self.describe(WEBSERVER)
        self.assertEqual(executor["desiredCount"], 1)
        self.assertTrue(executor["taskDefinition"].endswith("task-definition/" + TASK_DEF))
        self.assertEqual(web["desiredCount"], 1)
        self.assertNotIn("ERROR", p.stderr)
        self.assertIn("numberOfRecordsUpdated", p.stdout)  # the lambda result is shown

    def test_failing_lambda_stops_the_script(self):
        self.start(services(), {"action": "static", "function_error": "Unhandled",
                                "error_message": "Communications link failure"})
        p = self.run_script()
        self.assertFailedWith(p, f"truncate lambda {LAMBDA} failed (FunctionError: Unhandled)")
        self.assertIn("Communications link failure", p.stdout)
        self.assertEqual(len(self.invocations()), 1)
        # Nothing was started after the failed truncate.
        self.assertEqual(self.updates(), [{"service": EXECUTOR, "desiredCount": 0},
                                          {"service": WEBSERVER, "forceNewDeployment": True,
                                           "desiredCount": 0}])
        self.assertEqual(self.describe(EXECUTOR)["desiredCount"], 0)

    def test_missing_lambda_stops_the_script(self):
        self.start(services())
        p = self.run_script([PROFILE, "no-such-function", CLUSTER, TASK_DEF])
        self.assertFailedWith(p, "aws lambda invoke failed; stopping")
        self.assertIn("ResourceNotFoundException", p.stderr)
        self.assertEqual(len(self.updates()), 2)

    def test_failed_update_service_stops_the_script(self):
        self.start({EXECUTOR: {"desiredCount": 1}})  # no web-server service in the cluster
        p = self.run_script()
        self.assertFailedWith(p, "aws ecs update-service failed; stopping")
        self.assertIn("ServiceNotFoundException", p.stderr)
        self.assertEqual(self.updates(), [{"service": EXECUTOR, "desiredCount": 0}])
        self.assertEqual([r["api"] for r in self.proxy.calls()], ["UpdateService", "UpdateService"])
        self.assertEqual(self.invocations(), [])

    def test_service_that_never_scales_down_ends_the_stop_wait(self):
        self.start(services(executor_running=2, never_scale_down=True))
        p = self.run_script(env=self.env(ROTATE_WAIT_SECONDS="", ROTATE_STOP_WAIT_SECONDS="4"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("ERROR: MAX RETRIES Exceeded, Azkaban executor or webserver taking too long to "
                      "shut down.", p.stderr)
        self.assertIn(f"after 4s: {EXECUTOR}=2, {WEBSERVER}=0", p.stderr)
        # Bounded: it waited the configured time after scaling down (bash's SECONDS ticks whole
        # seconds, hence the 1 s slack), and the last poll began no later than one poll interval
        # (plus one CLI start-up) after the deadline. Times come from the proxy, since each aws CLI run may take seconds
        # on a loaded machine.
        scaled_down = self.proxy.calls("UpdateService")[1]["time"]
        polls = self.proxy.calls("DescribeServices")
        self.assertGreaterEqual(len(polls), 2)  # it did look
        self.assertGreaterEqual(p.ended - scaled_down, 4 - 1)
        # Start-up time of one aws CLI run: from an answer to the next call's request.
        startup = max(b["sent"] - a["time"] for a, b in zip(polls, polls[1:]))
        self.assertLessEqual(polls[-2]["sent"], scaled_down + 4 + 0.3 + startup + 1)
        self.assertLess(p.ended - polls[-1]["time"], 5)
        self.assertEqual(self.invocations(), [])
        self.assertEqual(len(self.updates()), 2)

    def test_executor_that_never_starts_ends_the_start_wait(self):
        # Both already at 0; running counts never move (one task per ~3 hours).
        self.start(services(executor_running=0, webserver_running=0), converge_ms=10_000_000)
        p = self.run_script(env=self.env(ROTATE_START_WAIT_SECONDS="2"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("ERROR: MAX RETRIES Exceeded, Azkaban executor taking too long to start", p.stderr)
        self.assertEqual(len(self.invocations()), 1)
        self.assertEqual(self.updates()[-1], {"service": EXECUTOR, "taskDefinition": TASK_DEF,
                                              "desiredCount": 1})  # the web server was not started
        self.assertEqual(len(self.updates()), 3)

    @staticmethod
    def missing_service(name):
        return (200, {"services": [], "failures": [
            {"arn": f"arn:aws:ecs:eu-west-2:123456789012:service/{CLUSTER}/{name}", "reason": "MISSING"}]})

    def test_null_count_in_the_stop_wait_is_an_error(self):
        self.start(services())
        self.proxy.override = lambda api, req, recs: (
            self.missing_service(WEBSERVER)
            if api == "DescribeServices" and req["services"] == [WEBSERVER] else None)
        p = self.run_script()
        self.assertFailedWith(p, f"no running count for service '{WEBSERVER}' in cluster '{CLUSTER}' "
                                 "(describe-services returned 'None'")
        self.assertEqual(self.invocations(), [])  # not taken for "stopped"
        self.assertEqual(len(self.updates()), 2)

    def test_null_count_in_the_start_wait_is_an_error(self):
        self.start(services())
        invoked = lambda recs: any(r["api"].endswith("/invocations") for r in recs)  # noqa: E731
        self.proxy.override = lambda api, req, recs: (
            self.missing_service(EXECUTOR)
            if api == "DescribeServices" and invoked(recs) else None)
        p = self.run_script()
        self.assertFailedWith(p, f"no running count for service '{EXECUTOR}'")
        self.assertEqual(len(self.invocations()), 1)
        self.assertEqual(len(self.updates()), 3)  # the web server was not started


if __name__ == "__main__":
    unittest.main()
