"""Drive the AWS emulator with the real clients: botocore (real SigV4 signing, real parsers) and
the Debian aws CLI. Every test starts its own emulator and stops it (and its step processes).

Run: /usr/bin/python3 -m unittest discover -s tests/aws_emulator -v
"""

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import TEST_ACCESS_KEY, TEST_SECRET_KEY, Emulator  # noqa: E402

# Nothing may reach real AWS or read the developer's profile.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
for _v in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
           "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
    os.environ.pop(_v, None)

import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

REGION = "eu-west-2"
AWS_CLI = os.environ.get("AWS_CLI", "/usr/bin/aws")  # Debian's awscli (its own botocore models)
SCRIPT_RUNNER = f"s3://{REGION}.elasticmapreduce/libs/script-runner/script-runner.jar"
LOG_GROUP = "/aws/emr/azkaban"
EVENT_QUEUE = "emr-step-events"


def wait_for(pred, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class EmulatorTest(unittest.TestCase):
    CONFIG = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aws-emu-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.emu = Emulator(config=self.CONFIG).start()
        self.addCleanup(self.emu.stop)
        self._session = botocore.session.get_session()

    # ---- clients

    def client(self, service, key=TEST_ACCESS_KEY, secret=TEST_SECRET_KEY, token=None, attempts=1, **cfg):
        c = self._session.create_client(
            service, region_name=REGION, endpoint_url=self.emu.endpoint, aws_access_key_id=key,
            aws_secret_access_key=secret, aws_session_token=token,
            config=Config(retries={"total_max_attempts": attempts, "mode": "standard"},
                          connect_timeout=5, read_timeout=60, **cfg))
        self.addCleanup(c.close)
        return c

    def cli_env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=TEST_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=TEST_SECRET_KEY,
                   AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1",
                   AWS_RETRY_MODE="standard", AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="", HOME=self.tmp)
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def aws(self, *args, env=None, check=True):
        """Run the aws CLI against the emulator; returns (rc, parsed JSON or text, stderr)."""
        cmd = [AWS_CLI, "--no-cli-pager", "--output", "json", "--endpoint-url", self.emu.endpoint, *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env or self.cli_env())
        if check and p.returncode != 0:
            self.fail(f"{' '.join(args)} failed rc={p.returncode}: {p.stderr}")
        try:
            out = json.loads(p.stdout) if p.stdout.strip() else None
        except ValueError:
            out = p.stdout
        return p.returncode, out, p.stderr

    def assertClientError(self, code, status, fn, *a, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*a, **kw)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        return cm.exception

    # ---- helpers

    def script(self, name, body):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        return path

    def new_cluster(self, name="cluster", level=1, state="WAITING"):
        return self.emu.admin("POST", "emr/clusters", {"name": name, "state": state,
                                                       "step_concurrency": level})["id"]

    def add_step(self, emr, cluster_id, args, name="batch-step"):
        return emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[{
            "Name": name, "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": SCRIPT_RUNNER, "Args": args}}])["StepIds"][0]

    def wait_step(self, emr, cid, sid, states, timeout=30):
        def done():
            st = emr.describe_step(ClusterId=cid, StepId=sid)["Step"]["Status"]
            return st if st["State"] in states else None
        return wait_for(done, timeout, 0.2, f"step {sid} in {states}")

    def step_events(self, sqs, step_id, until_state, timeout=20):
        """Receive EMR step events from the queue (long polling) until `until_state` shows up."""
        url = sqs.get_queue_url(QueueName=EVENT_QUEUE)["QueueUrl"]
        states = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and until_state not in states:
            r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
            msgs = r.get("Messages", [])
            for m in msgs:
                ev = json.loads(m["Body"])
                self.assertEqual(ev["source"], "aws.emr")
                self.assertEqual(ev["detail-type"], "EMR Step Status Change")
                if ev["detail"]["stepId"] == step_id:
                    states.append(ev["detail"]["state"])
            if msgs:
                res = sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
                self.assertEqual(len(res["Successful"]), len(msgs), res)
        return states


class SignatureAndValidationTest(EmulatorTest):
    def test_correct_signature_accepted_wrong_secret_rejected(self):
        self.assertEqual(self.client("emr").list_clusters()["Clusters"], [])
        bad = dict(secret="not-the-secret")
        self.assertClientError("InvalidSignatureException", 403, self.client("emr", **bad).list_clusters)
        self.assertClientError("InvalidSignatureException", 403, self.client("logs", **bad).describe_log_streams,
                               logGroupName=LOG_GROUP)
        self.assertClientError("SignatureDoesNotMatch", 403, self.client("sts", **bad).get_caller_identity)
        self.assertClientError("SignatureDoesNotMatch", 403, self.client("s3", **bad).list_objects_v2, Bucket="b")
        self.assertClientError("InvalidSignatureException", 403, self.client("lambda", **bad).invoke,
                               FunctionName="f", Payload=b"{}")
        self.assertClientError("UnrecognizedClientException", 403,
                               self.client("emr", key="AKIAUNKNOWNKEY000000").list_clusters)
        rc, _, err = self.aws("emr", "list-clusters",
                              env=self.cli_env(AWS_SECRET_ACCESS_KEY="wrong"), check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("InvalidSignatureException", err)
        rc, out, _ = self.aws("emr", "list-clusters")
        self.assertEqual(out["Clusters"], [])
        rc, out, _ = self.aws("sts", "get-caller-identity")
        self.assertEqual(out["UserId"], TEST_ACCESS_KEY)

    def test_invalid_requests_rejected_with_validation_exception(self):
        emr = self.client("emr", parameter_validation=False)
        self.assertClientError("ValidationException", 400, emr.describe_cluster)
        self.assertClientError("ValidationException", 400, emr.list_clusters, ClusterStates=["BOGUS"])
        self.assertClientError("ValidationException", 400, emr.modify_cluster, ClusterId="j-1",
                               StepConcurrencyLevel="many")
        sts = self.client("sts", parameter_validation=False)
        self.assertClientError("ValidationException", 400, sts.assume_role, RoleArn="arn:aws:iam::1:role/r")
        self.assertClientError("InvalidRequestException", 400, self.client("emr").describe_cluster,
                               ClusterId="j-NOSUCH")


class RawRequestTest(EmulatorTest):
    """Requests signed by botocore's signer and then sent (or tampered with) by hand."""

    def signed(self, service, method, url, body=b"", headers=None, secret=TEST_SECRET_KEY):
        from botocore.auth import S3SigV4Auth, SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
        signer = S3SigV4Auth if service == "s3" else SigV4Auth
        signer(Credentials(TEST_ACCESS_KEY, secret), service, REGION).add_auth(req)
        return req

    def send(self, req, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=30)
        self.addCleanup(conn.close)
        parts = urllib.parse.urlsplit(req.url)
        headers = dict(req.headers.items())
        headers.setdefault("Host", parts.netloc)  # what the signer signed, even if we connect to 127.0.0.1
        conn.request(req.method, parts.path + (f"?{parts.query}" if parts.query else ""),
                     body=req.body if body is None else body, headers=headers)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()

    def test_tampered_body_and_skewed_clock_are_rejected(self):
        url = f"http://127.0.0.1:{self.emu.port}/"
        hdr = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "ElasticMapReduce.ListClusters"}
        status, _, body = self.send(self.signed("elasticmapreduce", "POST", url, b"{}", hdr))
        self.assertEqual(status, 200, body)
        status, _, body = self.send(self.signed("elasticmapreduce", "POST", url, b"{}", hdr),
                                    body=b'{"Marker":"x"}')
        self.assertEqual((status, json.loads(body)["__type"]), (403, "InvalidSignatureException"))
        req = self.signed("elasticmapreduce", "POST", url, b"{}", hdr)
        req.headers["X-Amz-Target"] = "ElasticMapReduce.DescribeCluster"  # signed header changed
        status, _, body = self.send(req)
        self.assertEqual(status, 403, body)
        # Right signature, wrong scope service: rejected too.
        status, _, body = self.send(self.signed("logs", "POST", url, b"{}", hdr))
        self.assertEqual(status, 403, body)
        # 20 minutes of clock skew.
        import datetime
        from unittest import mock
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        with mock.patch("botocore.auth.datetime") as dt:
            dt.datetime.utcnow.return_value = old
            dt.datetime.strptime = datetime.datetime.strptime
            req = self.signed("elasticmapreduce", "POST", url, b"{}", hdr)
        status, _, body = self.send(req)
        self.assertEqual(status, 403, body)
        self.assertIn("Signature expired", json.loads(body)["message"])
        status, _, body = self.send(self.signed("elasticmapreduce", "POST", url, b"{}",
                                                {**hdr, "Content-Type": "application/json"}))
        self.assertEqual((status, json.loads(body)["__type"]), (400, "ValidationException"))

    def test_s3_virtual_host_style(self):
        self.emu.admin("POST", "s3/objects", {"bucket": "vbucket", "key": "dir/a b.txt", "body": "virtual"})
        req = self.signed("s3", "GET", "http://vbucket.s3.eu-west-2.amazonaws.com/dir/a%20b.txt",
                          headers={"X-Amz-Content-SHA256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"})
        status, headers, body = self.send(req)
        self.assertEqual((status, body), (200, b"virtual"))
        self.assertEqual(headers["Content-Length"], "7")
        req = self.signed("s3", "GET", "http://vbucket.s3.eu-west-2.amazonaws.com/dir/a%20b.txt",
                          headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, secret="wrong")
        status, _, body = self.send(req)
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", body)

    def test_emulator_refuses_to_send_a_response_its_model_rejects(self):
        from awsemu import protocol
        model = protocol.service_model("emr")
        op = model.operation_model("DescribeCluster")
        with self.assertRaises(protocol.EmulatorBug):
            protocol.serialize_response(model, op, {"Cluster": {"Id": 5}}, "rid")
        with self.assertRaises(protocol.EmulatorBug):
            protocol.serialize_response(model, model.operation_model("AddJobFlowSteps"), {"StepIds": "s-1"}, "rid")
        with self.assertRaises(protocol.EmulatorBug):
            protocol.serialize_response(model, model.operation_model("ListSteps"),
                                        {"Steps": [{"Status": {"State": "NOT_A_STATE"}}]}, "rid")
        status, _, body = protocol.serialize_response(
            model, op, {"Cluster": {"Id": "j-1", "Name": "n", "Status": {"State": "WAITING"}}}, "rid")
        self.assertEqual(json.loads(body)["Cluster"]["Id"], "j-1")


class EmrClusterTest(EmulatorTest):
    CONFIG = {"emr": {"list_page_size": 50}}

    def test_list_clusters_pages_with_marker_and_state_filter(self):
        active = set()
        for i in range(120):
            state = "TERMINATED" if i % 4 == 0 else ("STARTING" if i % 4 == 1 else "WAITING")
            cid = self.emu.admin("POST", "emr/clusters", {"name": f"CLUSTER-{i}", "state": state,
                                                          "id": f"j-{i}"})["id"]
            if state != "TERMINATED":
                active.add(cid)
        emr = self.client("emr")
        seen, pages, marker = [], [], None
        for _ in range(10):
            kw = {"Marker": marker} if marker else {}
            r = emr.list_clusters(ClusterStates=["STARTING", "BOOTSTRAPPING", "WAITING", "RUNNING"], **kw)
            pages.append(len(r["Clusters"]))
            seen += [c["Id"] for c in r["Clusters"]]
            marker = r.get("Marker")
            if not marker:
                break
        self.assertEqual(pages, [50, 40])
        self.assertEqual(set(seen), active)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(len(emr.list_clusters()["Clusters"]), 50)  # no filter: first page of all 120
        _, out, _ = self.aws("emr", "list-clusters", "--active")  # the CLI follows Marker itself
        self.assertEqual({c["Id"] for c in out["Clusters"]}, active)

    def test_cluster_state_and_modify_cluster(self):
        emr = self.client("emr")
        cid = self.new_cluster("c", level=1, state="STARTING")
        self.assertEqual(emr.describe_cluster(ClusterId=cid)["Cluster"]["Status"]["State"], "STARTING")
        self.emu.admin("POST", f"emr/clusters/{cid}/state", {"state": "WAITING"})
        c = emr.describe_cluster(ClusterId=cid)["Cluster"]
        self.assertEqual((c["Status"]["State"], c["StepConcurrencyLevel"]), ("WAITING", 1))
        self.assertEqual(emr.modify_cluster(ClusterId=cid, StepConcurrencyLevel=256)["StepConcurrencyLevel"], 256)
        self.assertEqual(emr.describe_cluster(ClusterId=cid)["Cluster"]["StepConcurrencyLevel"], 256)


class EmrStepTest(EmulatorTest):
    def test_step_runs_local_script_to_completed_with_logs_and_events(self):
        out_file = os.path.join(self.tmp, "ran")
        script = self.script("step.sh", f"""
for a in "$@"; do echo "arg[$a]"; done
echo "to stderr" >&2
echo "step=$EMR_STEP_ID" > {out_file}
echo done
""")
        emr, logs, sqs = self.client("emr"), self.client("logs"), self.client("sqs")
        cid = self.new_cluster()
        sid = self.add_step(emr, cid, [script, "flow-uuid", "emr user", "the_script.sh", "a  b "])
        st = self.wait_step(emr, cid, sid, ("COMPLETED", "FAILED", "CANCELLED"))
        self.assertEqual(st["State"], "COMPLETED", st)
        with open(out_file) as f:
            self.assertEqual(f.read().strip(), f"step={sid}")
        # Logs: one stream named after the step id, stdout and stderr lines, args unmodified.
        r = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=sid, startFromHead=True)
        msgs = [e["message"] for e in r["events"]]
        self.assertEqual([m for m in msgs if m.startswith("arg[")],
                         ["arg[flow-uuid]", "arg[emr user]", "arg[the_script.sh]", "arg[a  b ]"])
        self.assertIn("to stderr", msgs)
        # stdout and stderr are separate files on EMR too: only the order within each is kept.
        self.assertEqual([m for m in msgs if m != "to stderr"][-1], "done")
        r2 = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=sid, startFromHead=True,
                                 nextToken=r["nextForwardToken"])
        self.assertEqual(r2["events"], [])
        self.assertEqual(r2["nextForwardToken"], r["nextForwardToken"])  # caught up: same token back
        self.assertClientError("ResourceNotFoundException", 400, logs.get_log_events,
                               logGroupName=LOG_GROUP, logStreamName="s-NOSUCHSTREAM")
        streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix="s-")["logStreams"]
        self.assertEqual([s["logStreamName"] for s in streams], [sid])
        f = logs.filter_log_events(logGroupName=LOG_GROUP, logStreamNames=[sid], filterPattern='"arg[emr"')
        self.assertEqual([e["message"] for e in f["events"]], ["arg[emr user]"])
        _, out, _ = self.aws("logs", "get-log-events", "--log-group-name", LOG_GROUP, "--log-stream-name", sid,
                             "--start-from-head")
        self.assertIn("done", [e["message"] for e in out["events"]])
        # One event per state change, in order.
        self.assertEqual(self.step_events(sqs, sid, "COMPLETED"), ["PENDING", "RUNNING", "COMPLETED"])
        # ListSteps filters.
        self.assertEqual([s["Id"] for s in emr.list_steps(ClusterId=cid, StepIds=[sid])["Steps"]], [sid])
        self.assertEqual(emr.list_steps(ClusterId=cid, StepStates=["FAILED"])["Steps"], [])
        _, out, _ = self.aws("emr", "list-steps", "--cluster-id", cid, "--step-states", "COMPLETED")
        self.assertEqual([s["Id"] for s in out["Steps"]], [sid])
        # Admin view has the timestamps used for latency measurements.
        step = [s for s in self.emu.admin("GET", "emr/steps")["steps"] if s["id"] == sid][0]
        self.assertLessEqual(step["created"], step["started"])
        self.assertLessEqual(step["started"], step["finished"])
        self.assertEqual(step["exit_code"], 0)

    def test_failing_script_marks_step_failed(self):
        script = self.script("fail.sh", "echo about to fail\nexit 3\n")
        emr, sqs = self.client("emr"), self.client("sqs")
        cid = self.new_cluster()
        sid = self.add_step(emr, cid, [script])
        st = self.wait_step(emr, cid, sid, ("COMPLETED", "FAILED", "CANCELLED"))
        self.assertEqual(st["State"], "FAILED")
        self.assertIn("3", st["FailureDetails"]["Reason"])
        self.assertEqual(self.step_events(sqs, sid, "FAILED"), ["PENDING", "RUNNING", "FAILED"])
        missing = self.add_step(emr, cid, [os.path.join(self.tmp, "does-not-exist.sh")])
        self.assertEqual(self.wait_step(emr, cid, missing, ("FAILED", "COMPLETED"))["State"], "FAILED")

    def test_cancel_steps_kills_process_group(self):
        pid_file = os.path.join(self.tmp, "pids")
        script = self.script("long.sh", f"""
sleep 60 &
echo "$$ $!" > {pid_file}
echo started
wait
""")
        emr, logs, sqs = self.client("emr"), self.client("logs"), self.client("sqs")
        cid = self.new_cluster(level=1)
        sid = self.add_step(emr, cid, [script])
        queued = self.add_step(emr, cid, [script], name="queued")
        self.wait_step(emr, cid, sid, ("RUNNING",))
        wait_for(lambda: "started" in [e["message"] for e in logs.get_log_events(
            logGroupName=LOG_GROUP, logStreamName=sid, startFromHead=True)["events"]], 10, what="script output")
        with open(pid_file) as f:
            pids = [int(x) for x in f.read().split()]
        # Concurrency level 1: the second step waits.
        self.assertEqual(emr.describe_step(ClusterId=cid, StepId=queued)["Step"]["Status"]["State"], "PENDING")
        info = emr.cancel_steps(ClusterId=cid, StepIds=[sid, queued])["CancelStepsInfoList"]
        self.assertEqual([i["Status"] for i in info], ["SUBMITTED", "SUBMITTED"])
        self.assertEqual(self.wait_step(emr, cid, sid, ("CANCELLED", "FAILED", "COMPLETED"), 15)["State"],
                         "CANCELLED")
        self.assertEqual(self.wait_step(emr, cid, queued, ("CANCELLED", "FAILED", "COMPLETED"))["State"],
                         "CANCELLED")

        def gone(pid):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            # A zombie is dead too (its parent may not have reaped it yet).
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] == "Z"
        wait_for(lambda: all(gone(p) for p in pids), 10, what="step processes to die")
        self.assertEqual(self.step_events(sqs, sid, "CANCELLED"), ["PENDING", "RUNNING", "CANCEL_PENDING",
                                                                   "CANCELLED"])

    def test_list_steps_paging_and_filters(self):
        emr = self.client("emr")
        cid = self.new_cluster(state="STARTING")  # steps stay PENDING until the cluster is ready
        ids = emr.add_job_flow_steps(JobFlowId=cid, Steps=[
            {"Name": f"s{i}", "ActionOnFailure": "CONTINUE",
             "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["true"]}} for i in range(60)])["StepIds"]
        self.assertEqual(len(set(ids)), 60)
        p1 = emr.list_steps(ClusterId=cid)
        p2 = emr.list_steps(ClusterId=cid, Marker=p1["Marker"])
        self.assertEqual((len(p1["Steps"]), len(p2["Steps"]), "Marker" in p2), (50, 10, False))
        self.assertEqual([s["Id"] for s in p1["Steps"] + p2["Steps"]], list(reversed(ids)))  # newest first
        r = emr.list_steps(ClusterId=cid, StepIds=[ids[3], ids[7]], StepStates=["PENDING"])
        self.assertEqual([s["Id"] for s in r["Steps"]], [ids[7], ids[3]])
        self.emu.admin("POST", f"emr/clusters/{cid}/state", {"state": "TERMINATED"})
        self.assertEqual(len(emr.list_steps(ClusterId=cid, StepStates=["CANCELLED"])["Steps"]), 50)
        self.assertClientError("ValidationException", 400, self.add_step, emr, cid, ["true"])

    def test_step_concurrency_level_is_honoured(self):
        script = self.script("short.sh", "sleep 1\n")
        emr = self.client("emr")
        cid = self.new_cluster(level=1)
        ids = [self.add_step(emr, cid, [script], name=f"s{i}") for i in range(3)]
        time.sleep(0.5)
        states = [emr.describe_step(ClusterId=cid, StepId=s)["Step"]["Status"]["State"] for s in ids]
        self.assertEqual(states, ["RUNNING", "PENDING", "PENDING"])
        emr.modify_cluster(ClusterId=cid, StepConcurrencyLevel=3)
        time.sleep(0.5)
        states = [emr.describe_step(ClusterId=cid, StepId=s)["Step"]["Status"]["State"] for s in ids]
        self.assertEqual(states.count("PENDING"), 0, states)
        for s in ids:
            self.assertEqual(self.wait_step(emr, cid, s, ("COMPLETED", "FAILED"))["State"], "COMPLETED")


class RateLimitAndFaultTest(EmulatorTest):
    def test_throttling_after_bucket_is_empty(self):
        self.emu.admin("POST", "ratelimits", {"api": "emr.ListClusters", "rate": 0.01, "burst": 3})
        emr = self.client("emr")
        for _ in range(3):
            emr.list_clusters()
        e = self.assertClientError("ThrottlingException", 400, emr.list_clusters)
        self.assertEqual(e.response["Error"]["Message"], "Rate exceeded")
        rc, _, err = self.aws("emr", "list-clusters", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ThrottlingException", err)
        emr.describe_cluster(ClusterId=self.new_cluster())  # other APIs have their own bucket
        calls = self.emu.admin("GET", "calls")
        self.assertEqual(calls["calls"]["emr.ListClusters"], 5)
        self.assertEqual(calls["outcomes"]["emr.ListClusters"], {"200": 3, "400": 2})
        self.emu.admin("POST", "ratelimits", {"api": "lambda.*", "rate": 0.01, "burst": 1})
        self.emu.admin("POST", "ratelimits", {"api": "sts.GetCallerIdentity", "rate": 0.01, "burst": 1})
        self.emu.admin("POST", "lambda/functions", {"name": "f"})
        self.client("lambda").invoke(FunctionName="f", Payload=b"{}")
        self.assertClientError("TooManyRequestsException", 429, self.client("lambda").invoke, FunctionName="f",
                               Payload=b"{}")
        self.client("sts").get_caller_identity()
        self.assertClientError("Throttling", 400, self.client("sts").get_caller_identity)
        self.emu.admin("POST", "calls/reset")
        self.assertEqual(self.emu.admin("GET", "calls")["calls"], {})

    def test_injected_500_503_and_delay(self):
        cid = self.new_cluster()
        self.emu.admin("POST", "faults", {"api": "emr.DescribeCluster", "count": 2, "status": 500})
        emr = self.client("emr")
        self.assertClientError("InternalServerError", 500, emr.describe_cluster, ClusterId=cid)
        self.assertClientError("InternalServerError", 500, emr.describe_cluster, ClusterId=cid)
        emr.describe_cluster(ClusterId=cid)
        # The SDK's own retry classifies them as transient and gets through.
        self.emu.admin("POST", "faults", {"api": "emr.DescribeCluster", "count": 2, "status": 503})
        self.client("emr", attempts=3).describe_cluster(ClusterId=cid)
        self.assertEqual(self.emu.admin("GET", "calls")["outcomes"]["emr.DescribeCluster"],
                         {"500": 2, "200": 2, "503": 2})
        self.emu.admin("POST", "faults", {"api": "logs.*", "count": 1, "status": 503})
        self.assertClientError("ServiceUnavailableException", 503, self.client("logs").describe_log_streams,
                               logGroupName=LOG_GROUP)
        self.emu.admin("POST", "faults", {"api": "sts.GetCallerIdentity", "count": 1, "status": 0,
                                          "delay_ms": 800})
        # The emulator says which requests a delay fault held back: the first only.
        self.client("sts").get_caller_identity()
        self.assertEqual(self.emu.admin("GET", "calls")["delayed"], {"sts.GetCallerIdentity": 1})
        self.client("sts").get_caller_identity()
        self.assertEqual(self.emu.admin("GET", "calls")["delayed"], {"sts.GetCallerIdentity": 1})
        self.assertEqual(self.emu.admin("GET", "calls")["outcomes"]["sts.GetCallerIdentity"],
                         {"200": 2})


class EcsTest(EmulatorTest):
    CONFIG = {"ecs": {"converge_interval_ms": 300, "clusters": {"main": {"services": {
        "azkaban-executor": {"desiredCount": 2},
        "stubborn": {"desiredCount": 1, "never_scale_down": True}}}}}}

    def test_update_service_converges(self):
        ecs = self.client("ecs")
        out = ecs.update_service(cluster="main", service="azkaban-executor", desiredCount=0)
        self.assertEqual((out["service"]["desiredCount"], out["service"]["runningCount"]), (0, 2))
        seen = []

        def drained():
            n = ecs.describe_services(cluster="main", services=["azkaban-executor"])["services"][0]["runningCount"]
            seen.append(n)
            return n == 0
        wait_for(drained, 15, 0.05, "running count 0")
        self.assertIn(1, seen)  # it converges step by step, not at once
        self.assertEqual(seen, sorted(seen, reverse=True))
        _, out, _ = self.aws("ecs", "describe-services", "--cluster", "main", "--services", "azkaban-executor")
        self.assertEqual((out["services"][0]["desiredCount"], out["services"][0]["runningCount"]), (0, 0))
        _, out, _ = self.aws("ecs", "update-service", "--cluster", "main", "--service", "azkaban-executor",
                             "--force-new-deployment", "--desired-count", "0")
        self.assertEqual(out["service"]["serviceName"], "azkaban-executor")
        ecs = self.client("ecs")
        ecs.update_service(cluster="main", service="azkaban-executor", desiredCount=1,
                           taskDefinition="azkaban-executor:7")
        wait_for(lambda: ecs.describe_services(cluster="main", services=["azkaban-executor"])["services"][0]
                 ["runningCount"] == 1, 10, what="running count 1")
        svc = ecs.describe_services(cluster="main", services=["azkaban-executor"])["services"][0]
        self.assertTrue(svc["taskDefinition"].endswith("task-definition/azkaban-executor:7"))
        ecs.update_service(cluster="main", service="stubborn", desiredCount=0)
        time.sleep(1.0)
        r = ecs.describe_services(cluster="main", services=["stubborn", "nope"])
        self.assertEqual(r["services"][0]["runningCount"], 1)
        self.assertEqual(r["failures"][0]["reason"], "MISSING")
        self.assertClientError("ServiceNotFoundException", 400, ecs.update_service, cluster="main",
                               service="nope", desiredCount=1)


class LambdaTest(EmulatorTest):
    CONFIG = {"lambda": {"functions": {
        "aws_analytical_env_emr_launcher": {"action": "create_cluster", "cluster_delay_ms": 1500},
        "azkaban-truncate-table": {"action": "static", "response": {"truncated": True}},
        "broken": {"function_error": "Unhandled"}}}}

    def test_invoke_launcher_creates_cluster_after_delay(self):
        out_file = os.path.join(self.tmp, "out.json")
        _, out, _ = self.aws("lambda", "invoke", "--function-name", "aws_analytical_env_emr_launcher",
                             "--cli-binary-format", "raw-in-base64-out",
                             "--payload", '{"overrides":{"Name":"test_name"}}', out_file)
        self.assertEqual(out["StatusCode"], 200)
        with open(out_file) as f:
            self.assertEqual(json.load(f)["ClusterName"], "test_name")
        emr = self.client("emr")
        names = lambda: [c["Name"] for c in emr.list_clusters(ClusterStates=["WAITING"])["Clusters"]]  # noqa
        self.assertNotIn("test_name", names())
        wait_for(lambda: "test_name" in names(), 10, 0.2, "launched cluster")
        inv = self.emu.admin("GET", "lambda/invocations")["invocations"]
        self.assertEqual(inv[0]["payload"], {"overrides": {"Name": "test_name"}})

    def test_invoke_static_error_and_missing(self):
        lam = self.client("lambda")
        r = lam.invoke(FunctionName="azkaban-truncate-table", InvocationType="RequestResponse",
                       Payload=b'{ "table_to_truncate": "executors" }')
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(json.loads(r["Payload"].read()), {"truncated": True})
        r = lam.invoke(FunctionName="broken", Payload=b"{}")
        self.assertEqual((r["StatusCode"], r["FunctionError"]), (200, "Unhandled"))
        self.assertClientError("ResourceNotFoundException", 404, lam.invoke, FunctionName="nope", Payload=b"{}")
        # An ARN in the path: ':' is percent-encoded and encoded again in the canonical URI.
        arn = "arn:aws:lambda:eu-west-2:123456789012:function:azkaban-truncate-table"
        self.assertEqual(lam.invoke(FunctionName=arn, Payload=b"{}")["StatusCode"], 200)


class S3SecretsTest(EmulatorTest):
    CONFIG = {"s3": {"buckets": {"config-bucket": {
        "component/azkaban-executor/azkaban.properties": "aws.azkaban.secretid=/azkaban/secret\n",
        "component/azkaban-executor/plugins/emr/private.properties": "a=b\n",
        "component/other/x": "no"}}},
        "secretsmanager": {"secrets": {
            "/workflow-manager/azkaban": {"SecretBinary": base64.b64encode(b'{"db_name":"azkaban"}').decode()},
            "rds-secret": {"SecretString": '{"host":"db","username":"u"}'}}}}

    def test_s3_get_object_list_objects_v2_and_sync(self):
        _, out, _ = self.aws("s3api", "list-objects-v2", "--bucket", "config-bucket", "--prefix",
                             "component/azkaban-executor/")
        self.assertEqual(sorted(o["Key"] for o in out["Contents"]),
                         ["component/azkaban-executor/azkaban.properties",
                          "component/azkaban-executor/plugins/emr/private.properties"])
        dest = os.path.join(self.tmp, "obj")
        _, out, _ = self.aws("s3api", "get-object", "--bucket", "config-bucket", "--key",
                             "component/azkaban-executor/azkaban.properties", dest)
        with open(dest) as f:
            self.assertEqual(f.read(), "aws.azkaban.secretid=/azkaban/secret\n")
        conf = os.path.join(self.tmp, "conf")
        self.aws("s3", "sync", "s3://config-bucket/component/azkaban-executor", conf)
        with open(os.path.join(conf, "plugins/emr/private.properties")) as f:
            self.assertEqual(f.read(), "a=b\n")
        s3 = self.client("s3")
        keys, token = [], None
        for _ in range(5):
            kw = {"ContinuationToken": token} if token else {}
            r = s3.list_objects_v2(Bucket="config-bucket", MaxKeys=2, **kw)
            keys += [o["Key"] for o in r.get("Contents", [])]
            token = r.get("NextContinuationToken")
            if not r["IsTruncated"]:
                break
        self.assertEqual(len(keys), 3)
        r = s3.list_objects_v2(Bucket="config-bucket", Prefix="component/", Delimiter="/")
        self.assertEqual(sorted(p["Prefix"] for p in r["CommonPrefixes"]),
                         ["component/azkaban-executor/", "component/other/"])
        self.assertClientError("NoSuchKey", 404, s3.get_object, Bucket="config-bucket", Key="missing")
        self.emu.admin("POST", "s3/objects", {"bucket": "config-bucket", "key": "odd/100% sure+ok.txt",
                                              "body": "odd"})
        self.assertEqual(s3.get_object(Bucket="config-bucket", Key="odd/100% sure+ok.txt")["Body"].read(), b"odd")
        r = s3.list_objects_v2(Bucket="config-bucket", Prefix="odd/")  # botocore asks for EncodingType=url
        self.assertEqual([o["Key"] for o in r["Contents"]], ["odd/100% sure+ok.txt"])
        self.assertClientError("NoSuchBucket", 404, s3.list_objects_v2, Bucket="missing-bucket")

    def test_secretsmanager_get_secret_value(self):
        _, out, _ = self.aws("secretsmanager", "get-secret-value", "--secret-id", "rds-secret")
        self.assertEqual(json.loads(out["SecretString"])["host"], "db")
        r = self.client("secretsmanager").get_secret_value(SecretId="/workflow-manager/azkaban")
        self.assertEqual(json.loads(r["SecretBinary"]), {"db_name": "azkaban"})
        self.assertClientError("ResourceNotFoundException", 400, self.client("secretsmanager").get_secret_value,
                               SecretId="nope")


class CredentialsTest(EmulatorTest):
    CONFIG = {"container_credentials": {"auth_token": "secret-token", "lifetime_seconds": 3600}}

    def fetch(self, token="secret-token"):
        req = urllib.request.Request(f"{self.emu.endpoint}/v2/credentials/task-1",
                                     headers={"Authorization": token} if token else {})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def test_container_credentials_endpoint_and_rotation(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.fetch(token="wrong")
        self.assertEqual(cm.exception.code, 403)
        c1 = self.fetch()
        self.assertEqual(self.fetch()["AccessKeyId"], c1["AccessKeyId"])
        sts1 = self.client("sts", key=c1["AccessKeyId"], secret=c1["SecretAccessKey"], token=c1["Token"])
        self.assertIn(":assumed-role/azkaban-executor/", sts1.get_caller_identity()["Arn"])
        # Without the session token the key is not accepted.
        self.assertClientError("InvalidClientTokenId", 403, self.client(
            "sts", key=c1["AccessKeyId"], secret=c1["SecretAccessKey"]).get_caller_identity)
        # The CLI's own container provider.
        env = self.cli_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                           AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{self.emu.endpoint}/v2/credentials/task-1",
                           AWS_CONTAINER_AUTHORIZATION_TOKEN="secret-token")
        _, out, _ = self.aws("sts", "get-caller-identity", env=env)
        self.assertEqual(out["UserId"], c1["AccessKeyId"])
        # Rotation: a new key; the old one stays valid until revoked.
        rot = self.emu.admin("POST", "credentials/rotate", {})
        c2 = self.fetch()
        self.assertEqual(c2["AccessKeyId"], rot["AccessKeyId"])
        self.assertNotEqual(c2["AccessKeyId"], c1["AccessKeyId"])
        sts1.get_caller_identity()
        self.emu.admin("POST", "credentials/rotate", {"revoke_previous": True})
        self.assertNotEqual(self.fetch()["AccessKeyId"], c2["AccessKeyId"])
        self.assertClientError("InvalidClientTokenId", 403, self.client(
            "sts", key=c2["AccessKeyId"], secret=c2["SecretAccessKey"], token=c2["Token"]).get_caller_identity)

    def test_assume_role_and_web_identity(self):
        r = self.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/cognito-read",
                                           RoleSessionName="EMR_Get_Users", DurationSeconds=900)
        c = r["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        emr = self.client("emr", key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
        self.assertEqual(emr.list_clusters()["Clusters"], [])
        _, out, _ = self.aws("sts", "assume-role-with-web-identity", "--role-arn",
                             "arn:aws:iam::123456789012:role/web", "--role-session-name", "s1",
                             "--web-identity-token", "eyJhbGciOi.token.value",
                             env=self.cli_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None))
        self.assertEqual(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::123456789012:assumed-role/web/s1")


class RotatingCredentialsTest(EmulatorTest):
    CONFIG = {"container_credentials": {"rotate_seconds": 1}}

    def test_new_key_every_n_seconds(self):
        def key():
            with urllib.request.urlopen(f"{self.emu.endpoint}/v2/credentials/x", timeout=10) as r:
                return json.loads(r.read())["AccessKeyId"]
        k1 = key()
        time.sleep(1.2)
        self.assertNotEqual(key(), k1)


class SqsTest(EmulatorTest):
    CONFIG = {"sqs": {"queues": ["work"]}}

    def test_long_poll_send_receive_delete(self):
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1))
        # Sent only after the receive below has started: it can only see it by long-polling.
        threading.Timer(0.5, lambda: self.client("sqs").send_message(QueueUrl=url, MessageBody="hello")).start()
        r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10, AttributeNames=["All"])
        m = r["Messages"][0]
        self.assertEqual(m["Body"], "hello")
        self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
        # Invisible while in flight.
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0))
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        self.assertClientError("ReceiptHandleIsInvalid", 400, sqs.delete_message, QueueUrl=url,
                               ReceiptHandle=m["ReceiptHandle"])
        _, out, _ = self.aws("sqs", "send-message", "--queue-url", url, "--message-body", "via-cli")
        self.assertIn("MessageId", out)
        _, out, _ = self.aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "2")
        self.assertEqual(out["Messages"][0]["Body"], "via-cli")
        self.assertClientError("AWS.SimpleQueueService.NonExistentQueue", 400, sqs.get_queue_url,
                               QueueName="missing")


class CognitoTest(EmulatorTest):
    POOL = "eu-west-2_EmuPool1"
    CONFIG = {"cognito": {"user_pools": {POOL: {
        "groups": [f"group-{i}" for i in range(7)],
        "users": [{"Username": f"user-{i}", "Attributes": {"preferred_username": f"pref-{i}", "sub": f"{i}ab-sub",
                                                           "email": f"u{i}@example.com"},
                   "Groups": ["group-0"] + (["group-6"] if i % 2 else [])} for i in range(7)]}}}}

    def test_cli_lists_every_page_of_groups_and_users(self):
        self.emu.admin("POST", "calls/reset")
        _, out, _ = self.aws("cognito-idp", "list-groups", "--user-pool-id", self.POOL, "--page-size", "2")
        self.assertEqual([g["GroupName"] for g in out["Groups"]], [f"group-{i}" for i in range(7)])
        _, out, _ = self.aws("cognito-idp", "list-users-in-group", "--user-pool-id", self.POOL,
                             "--group-name", "group-6", "--page-size", "2")
        self.assertEqual([u["Username"] for u in out["Users"]], ["user-1", "user-3", "user-5"])
        # ListUsers pages with PaginationToken, not NextToken.
        _, out, _ = self.aws("cognito-idp", "list-users", "--user-pool-id", self.POOL, "--page-size", "3")
        self.assertEqual([u["Username"] for u in out["Users"]], [f"user-{i}" for i in range(7)])
        attrs = {a["Name"]: a["Value"] for a in out["Users"][4]["Attributes"]}
        self.assertEqual(attrs, {"preferred_username": "pref-4", "sub": "4ab-sub", "email": "u4@example.com"})
        calls = self.emu.admin("GET", "calls")["calls"]
        self.assertEqual(calls, {"cognito-idp.ListGroups": 4, "cognito-idp.ListUsersInGroup": 2,
                                 "cognito-idp.ListUsers": 3})

    def test_tokens_limits_filters_and_errors(self):
        idp = self.client("cognito-idp")
        r = idp.list_groups(UserPoolId=self.POOL, Limit=5)
        self.assertEqual(len(r["Groups"]), 5)
        r2 = idp.list_groups(UserPoolId=self.POOL, Limit=5, NextToken=r["NextToken"])
        self.assertEqual([g["GroupName"] for g in r2["Groups"]], ["group-5", "group-6"])
        self.assertNotIn("NextToken", r2)
        r = idp.list_users(UserPoolId=self.POOL, Limit=6)
        self.assertIn("PaginationToken", r)
        self.assertNotIn("NextToken", r)
        self.assertEqual(len(idp.list_users(UserPoolId=self.POOL, PaginationToken=r["PaginationToken"])["Users"]), 1)
        r = idp.list_users(UserPoolId=self.POOL, Filter='preferred_username = "pref-3"')
        self.assertEqual([u["Username"] for u in r["Users"]], ["user-3"])
        r = idp.list_users(UserPoolId=self.POOL, Filter='sub ^= "5a"', AttributesToGet=["sub"])
        self.assertEqual(r["Users"][0]["Attributes"], [{"Name": "sub", "Value": "5ab-sub"}])
        self.assertClientError("InvalidParameterException", 400, idp.list_users, UserPoolId=self.POOL,
                               Filter="custom:x = 1")
        self.assertClientError("ResourceNotFoundException", 400, idp.list_groups, UserPoolId="eu-west-2_Missing")
        self.assertClientError("ResourceNotFoundException", 400, idp.list_users_in_group, UserPoolId=self.POOL,
                               GroupName="no-such-group")
        self.assertClientError("InvalidParameterException", 400, idp.list_groups, UserPoolId=self.POOL,
                               NextToken="not-a-token")
        self.assertClientError("InvalidParameterException", 400, idp.list_groups, UserPoolId="no-underscore")
        # The model caps Limit at 60; ParamValidator leaves max to us.
        rc, _, err = self.aws("cognito-idp", "list-groups", "--user-pool-id", self.POOL, "--limit", "61",
                              check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("ValidationException", err)

    def test_admin_seeding_throttling_faults_and_caller(self):
        sub = self.emu.admin("POST", "cognito/users", {"pool": self.POOL, "Username": "late",
                                                       "Groups": ["group-3"]})["sub"]
        self.assertRegex(sub, r"^[0-9a-f]{8}-[0-9a-f]{4}-")  # Cognito-style UUID when not given
        self.emu.admin("POST", "cognito/groups", {"pool": self.POOL, "GroupName": "group-new"})
        idp = self.client("cognito-idp")
        self.assertEqual(idp.list_groups(UserPoolId=self.POOL)["Groups"][-1]["GroupName"], "group-new")
        users = idp.list_users_in_group(UserPoolId=self.POOL, GroupName="group-3")["Users"]
        self.assertEqual([(u["Username"], u["Attributes"]) for u in users], [("late", [{"Name": "sub", "Value": sub}])])
        self.emu.admin("POST", "cognito/remove-member", {"pool": self.POOL, "Username": "late", "GroupName": "group-3"})
        self.assertEqual(idp.list_users_in_group(UserPoolId=self.POOL, GroupName="group-3")["Users"], [])
        # Cognito's own throttling and internal-error codes.
        self.emu.admin("POST", "ratelimits", {"api": "cognito-idp.ListUsers", "rate": 0.01, "burst": 1})
        idp.list_users(UserPoolId=self.POOL)
        self.assertClientError("TooManyRequestsException", 400, idp.list_users, UserPoolId=self.POOL)
        self.emu.admin("POST", "faults", {"api": "cognito-idp.ListGroups", "count": 1, "status": 500})
        self.assertClientError("InternalErrorException", 500, idp.list_groups, UserPoolId=self.POOL)
        # Calls made with an assumed role name its session (the EMR-user import's EMR_Get_Users).
        c = self.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/cognito-read",
                                           RoleSessionName="EMR_Get_Users")["Credentials"]
        self.client("cognito-idp", key=c["AccessKeyId"], secret=c["SecretAccessKey"],
                    token=c["SessionToken"]).list_groups(UserPoolId=self.POOL)
        last = self.emu.admin("GET", "cognito/calls")["calls"][-1]
        self.assertEqual(last, {"api": "ListGroups", "pool": self.POOL,
                                "caller": "arn:aws:sts::123456789012:assumed-role/cognito-read/EMR_Get_Users"})


class HarnessShellTest(unittest.TestCase):
    def test_start_prints_port_and_stop(self):
        state = tempfile.mkdtemp(prefix="aws-emu-shell-")
        self.addCleanup(shutil.rmtree, state, True)
        harness = os.path.join(HERE, "harness.py")
        p = subprocess.run([sys.executable, harness, "start", "--state-dir", state], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        port, pid = (int(x) for x in p.stdout.split())

        def kill():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        self.addCleanup(kill)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__admin/health", timeout=10) as r:
            self.assertTrue(json.loads(r.read())["ok"])
        subprocess.run([sys.executable, harness, "stop", "--port", str(port)], check=True, timeout=60)

        def dead():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] == "Z"
        wait_for(dead, 10, what="emulator exit")


if __name__ == "__main__":
    unittest.main()
