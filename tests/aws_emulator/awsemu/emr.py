"""EMR: clusters, and steps that run as local processes.

A step whose HadoopJarStep.Jar is script-runner.jar or command-runner.jar runs
Args[0] (a path on this machine, or a command on PATH) with Args[1:] unmodified, no shell,
in its own process group. Its stdout and stderr lines become CloudWatch log events in the
configured log group (default /aws/emr/azkaban) under the stream named by
emr.log_stream_format (default "{step_id}"), which is what the Azkaban emr job type reads
(emr-jobtypes.md 2.6/2.8: step.sh ships the step's stdout and stderr into one stream named
after the step id). Every state change is sent as an EventBridge "EMR Step Status Change"
event to the configured SQS queue.
"""

import datetime
import json
import os
import signal
import subprocess
import threading
import time
import uuid

from .protocol import AwsError
from .service import Service, random_id

ACTIVE_CLUSTER = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
RUNNABLE_CLUSTER = ("RUNNING", "WAITING")
TERMINAL_STEP = ("COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED")
_RUNNER_JARS = ("script-runner.jar", "command-runner.jar")


def _now_dt():
    return datetime.datetime.now(datetime.timezone.utc)


class Step:
    def __init__(self, sid, cluster, spec):
        self.id = sid
        self.cluster = cluster
        self.name = spec["Name"]
        self.action_on_failure = spec.get("ActionOnFailure", "CONTINUE")
        self.jar = spec["HadoopJarStep"]["Jar"]
        self.args = list(spec["HadoopJarStep"].get("Args", []))
        self.main_class = spec["HadoopJarStep"].get("MainClass")
        self.properties = {kv["Key"]: kv.get("Value", "") for kv in spec["HadoopJarStep"].get("Properties", [])}
        self.state = "PENDING"
        self.created = _now_dt()
        self.started = None
        self.ended = None
        self.exit_code = None
        self.failure = None
        self.proc = None
        self.cancel_requested = False
        self.history = []  # (state, epoch seconds)

    def status(self):
        st = {"State": self.state, "StateChangeReason": {},
              "Timeline": {"CreationDateTime": self.created}}
        if self.started:
            st["Timeline"]["StartDateTime"] = self.started
        if self.ended:
            st["Timeline"]["EndDateTime"] = self.ended
        if self.failure:
            st["FailureDetails"] = self.failure
        return st

    def summary(self):
        cfg = {"Jar": self.jar, "Args": list(self.args), "Properties": dict(self.properties)}
        if self.main_class:
            cfg["MainClass"] = self.main_class
        return {"Id": self.id, "Name": self.name, "Config": cfg,
                "ActionOnFailure": self.action_on_failure, "Status": self.status()}

    def admin_view(self):
        ts = lambda d: d.timestamp() if d else None  # noqa: E731
        return {"id": self.id, "cluster_id": self.cluster.id, "name": self.name, "state": self.state,
                "args": self.args, "exit_code": self.exit_code,
                "pid": self.proc.pid if self.proc else None,
                "created": ts(self.created), "started": ts(self.started), "finished": ts(self.ended),
                "history": [{"state": s, "time": t} for s, t in self.history]}


class Cluster:
    def __init__(self, cid, name, state, level, visible_at=0.0):
        self.id = cid
        self.name = name
        self.state = state
        self.step_concurrency = level
        self.created = _now_dt()
        self.ended = None
        self.visible_at = visible_at
        self.auto_state = True  # RUNNING <-> WAITING follows step activity
        self.steps = []          # creation order

    def status(self):
        st = {"State": self.state, "StateChangeReason": {},
              "Timeline": {"CreationDateTime": self.created}}
        if self.state in ("WAITING", "RUNNING"):
            st["Timeline"]["ReadyDateTime"] = self.created
        if self.ended:
            st["Timeline"]["EndDateTime"] = self.ended
        if self.state.startswith("TERMINATED"):
            st["StateChangeReason"] = {"Code": "USER_REQUEST", "Message": "Terminated by user request"}
        return st

    def arn(self, region, account):
        return f"arn:aws:elasticmapreduce:{region}:{account}:cluster/{self.id}"


class EmrService(Service):
    name = "emr"

    def __init__(self, emu, logs_store, sqs_store):
        super().__init__(emu)
        cfg = emu.config.get("emr", {})
        self.logs = logs_store
        self.sqs = sqs_store
        self.log_group = cfg.get("log_group", "/aws/emr/azkaban")
        self.stream_format = cfg.get("log_stream_format", "{step_id}")
        self.event_queue = cfg.get("event_queue", "emr-step-events")
        self.list_page = int(cfg.get("list_page_size", 50))
        self.step_start_delay = float(cfg.get("step_start_delay_ms", 0)) / 1000.0
        self.kill_grace = float(cfg.get("cancel_kill_grace_ms", 3000)) / 1000.0
        self.default_level = int(cfg.get("default_step_concurrency", 1))
        self.lock = threading.RLock()
        self.clusters = {}
        self.steps = {}
        self.logs.create_group(self.log_group)
        if self.event_queue:
            self.sqs.create(self.event_queue)
        for c in cfg.get("clusters", []):
            self.create_cluster(c.get("name", "cluster"), c.get("state", "WAITING"), c.get("id"),
                                c.get("step_concurrency"))

    # ------------------------------------------------------------ admin helpers

    def create_cluster(self, name, state="WAITING", cid=None, level=None, delay_s=0.0):
        with self.lock:
            cid = cid or random_id("j-")
            if cid in self.clusters:
                raise AwsError("InvalidRequestException", f"cluster {cid} exists")
            c = Cluster(cid, name, state, int(level or self.default_level), time.time() + delay_s)
            self.clusters[cid] = c
        if delay_s:
            threading.Timer(delay_s + 0.01, self._schedule, (c,)).start()
        return c

    def set_cluster_state(self, cid, state):
        with self.lock:
            c = self._cluster(cid)
            c.state = state
            c.auto_state = state in RUNNABLE_CLUSTER
            if state.startswith("TERMINAT"):
                c.ended = _now_dt()
                for s in c.steps:
                    if s.state == "PENDING":
                        self._set_state(s, "CANCELLED")
                    elif s.state in ("RUNNING", "CANCEL_PENDING"):
                        s.cancel_requested = "interrupt"
                        self._signal(s)
            self._schedule(c)
        return c

    def admin_steps(self):
        with self.lock:
            return [s.admin_view() for s in self.steps.values()]

    # ------------------------------------------------------------ internals

    def _cluster(self, cid):
        c = self.clusters.get(cid)
        if c is None or c.visible_at > time.time():
            raise AwsError("InvalidRequestException", f"Cluster id '{cid}' is not valid.")
        return c

    def _set_state(self, step, state, reason=None):
        """Record a state change and publish it as an EventBridge event (lock held)."""
        step.state = state
        step.history.append((state, time.time()))
        if state == "RUNNING":
            step.started = _now_dt()
        if state in TERMINAL_STEP:
            step.ended = _now_dt()
        if not self.event_queue:
            return
        c = step.cluster
        detail = {"severity": "ERROR" if state == "FAILED" else "INFO",
                  "actionOnFailure": step.action_on_failure, "stepId": step.id, "name": step.name,
                  "clusterId": c.id, "state": state,
                  "message": f"Step {step.id} ({step.name}) in Amazon EMR cluster {c.id} ({c.name}) "
                             f"is {state} at {_now_dt().isoformat()}."}
        if reason:
            detail["reason"] = reason
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "EMR Step Status Change",
                 "source": "aws.emr", "account": self.emu.account,
                 "time": _now_dt().strftime("%Y-%m-%dT%H:%M:%SZ"), "region": self.emu.region,
                 "resources": [c.arn(self.emu.region, self.emu.account)], "detail": detail}
        self.sqs.send(self.event_queue, json.dumps(event))

    def _schedule(self, c):
        with self.lock:
            if c.state not in RUNNABLE_CLUSTER or c.visible_at > time.time():
                return
            running = [s for s in c.steps if s.state in ("RUNNING", "CANCEL_PENDING")]
            pending = [s for s in c.steps if s.state == "PENDING"]
            now = time.time()
            retry_at = None
            for s in pending:
                if len(running) >= c.step_concurrency:
                    break
                ready = s.created.timestamp() + self.step_start_delay
                if ready > now:
                    retry_at = ready if retry_at is None else min(retry_at, ready)
                    continue
                self._start(s)
                running.append(s)
            if c.auto_state:
                c.state = "RUNNING" if running else "WAITING"
            if retry_at is not None:
                threading.Timer(retry_at - now + 0.01, self._schedule, (c,)).start()

    def _start(self, step):
        jar_ok = step.jar.rsplit("/", 1)[-1] in _RUNNER_JARS
        if not jar_ok or not step.args:
            self._set_state(step, "RUNNING")
            step.failure = {"Reason": "Unsupported step", "Message":
                            "emulator runs only script-runner.jar/command-runner.jar steps with Args"}
            self._set_state(step, "FAILED", "unsupported step")
            return
        stream = self.stream_format.format(step_id=step.id, cluster_id=step.cluster.id, step_name=step.name)
        self.logs.create_stream(self.log_group, stream)
        step_dir = os.path.join(self.emu.state_dir, "steps", step.id)
        os.makedirs(step_dir, exist_ok=True)
        env = dict(os.environ, EMR_STEP_ID=step.id, EMR_CLUSTER_ID=step.cluster.id)
        try:
            step.proc = subprocess.Popen(step.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=step_dir, env=env,
                                         start_new_session=True)
        except OSError as e:
            self._set_state(step, "RUNNING")
            step.failure = {"Reason": "Cannot start step", "Message": str(e)}
            self._set_state(step, "FAILED", str(e))
            return
        self._set_state(step, "RUNNING")
        readers = [threading.Thread(target=self._pump, args=(pipe, step_dir, which, stream), daemon=True)
                   for pipe, which in ((step.proc.stdout, "stdout"), (step.proc.stderr, "stderr"))]
        for r in readers:
            r.start()
        threading.Thread(target=self._wait, args=(step, readers), daemon=True).start()

    def _pump(self, pipe, step_dir, which, stream):
        # Same file names as EMR's /var/log/hadoop/steps/<id>/{stdout,stderr}.
        with open(os.path.join(step_dir, which), "ab") as f:
            for raw in iter(pipe.readline, b""):
                f.write(raw)
                f.flush()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.logs.put(self.log_group, stream, line)
        pipe.close()

    def _wait(self, step, readers):
        rc = step.proc.wait()
        for r in readers:
            r.join(timeout=5)  # a background child may keep the pipe open; do not hang
        with self.lock:
            step.exit_code = rc
            if step.cancel_requested == "interrupt":
                self._set_state(step, "INTERRUPTED", "cluster terminated")
            elif step.cancel_requested:
                self._set_state(step, "CANCELLED", "cancelled by CancelSteps")
            elif rc == 0:
                self._set_state(step, "COMPLETED")
            else:
                step.failure = {"Reason": f"Step failed with exit code {rc}",
                                "Message": f"Command exiting with ret '{rc}'",
                                "LogFile": f"s3://emulator-logs/{step.cluster.id}/steps/{step.id}/"}
                self._set_state(step, "FAILED", f"exit code {rc}")
                self._on_failure(step)
            self._schedule(step.cluster)

    def _on_failure(self, step):
        c = step.cluster
        if step.action_on_failure == "CANCEL_AND_WAIT":
            for s in c.steps:
                if s.state == "PENDING":
                    self._set_state(s, "CANCELLED", "previous step failed")
        elif step.action_on_failure in ("TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW"):
            self.set_cluster_state(c.id, "TERMINATED_WITH_ERRORS")

    def _signal(self, step):
        proc = step.proc
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return

        def escalate():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        threading.Timer(self.kill_grace, escalate).start()

    # ------------------------------------------------------------ operations

    def _visible_clusters(self):
        now = time.time()
        return [c for c in self.clusters.values() if c.visible_at <= now]

    def op_ListClusters(self, p, ctx):
        with self.lock:
            states = p.get("ClusterStates")
            rows = [{"Id": c.id, "Name": c.name, "Status": c.status(), "NormalizedInstanceHours": 0,
                     "ClusterArn": c.arn(ctx.region, ctx.account)}
                    for c in sorted(self._visible_clusters(), key=lambda c: c.created, reverse=True)
                    if not states or c.state in states]
            for r in rows:
                r["Status"]["Timeline"] = dict(r["Status"]["Timeline"])
        return self.page(rows, p.get("Marker"), self.list_page, "Clusters", "Marker", "Marker")

    def op_DescribeCluster(self, p, ctx):
        with self.lock:
            c = self._cluster(p["ClusterId"])
            return {"Cluster": {
                "Id": c.id, "Name": c.name, "Status": c.status(), "StepConcurrencyLevel": c.step_concurrency,
                "ClusterArn": c.arn(ctx.region, ctx.account), "ReleaseLabel": "emr-6.2.0",
                "AutoTerminate": False, "TerminationProtected": False, "VisibleToAllUsers": True,
                "Applications": [], "Tags": [], "NormalizedInstanceHours": 0}}

    def op_ModifyCluster(self, p, ctx):
        with self.lock:
            c = self._cluster(p["ClusterId"])
            if "StepConcurrencyLevel" in p:
                lvl = p["StepConcurrencyLevel"]
                if not 1 <= lvl <= 256:
                    raise AwsError("ValidationException", "StepConcurrencyLevel must be between 1 and 256")
                c.step_concurrency = lvl
            self._schedule(c)
            return {"StepConcurrencyLevel": c.step_concurrency}

    def op_AddJobFlowSteps(self, p, ctx):
        with self.lock:
            c = self._cluster(p["JobFlowId"])
            if c.state not in ACTIVE_CLUSTER:
                raise AwsError("ValidationException",
                               "A job flow that is shutting down, terminated, or finished may not be modified.")
            if len(p["Steps"]) > 256:
                raise AwsError("ValidationException", "at most 256 steps per request")
            ids = []
            for spec in p["Steps"]:
                s = Step(random_id("s-"), c, spec)
                c.steps.append(s)
                self.steps[s.id] = s
                self._set_state(s, "PENDING")
                ids.append(s.id)
            self._schedule(c)
            return {"StepIds": ids}

    def op_DescribeStep(self, p, ctx):
        with self.lock:
            c = self._cluster(p["ClusterId"])
            s = self.steps.get(p["StepId"])
            if s is None or s.cluster is not c:
                raise AwsError("InvalidRequestException", f"Step id '{p['StepId']}' is not valid.")
            return {"Step": s.summary()}

    def op_ListSteps(self, p, ctx):
        with self.lock:
            c = self._cluster(p["ClusterId"])
            ids = p.get("StepIds")
            states = p.get("StepStates")
            rows = [s.summary() for s in reversed(c.steps)
                    if (not ids or s.id in ids) and (not states or s.state in states)]
        return self.page(rows, p.get("Marker"), 50, "Steps", "Marker", "Marker")

    def op_CancelSteps(self, p, ctx):
        with self.lock:
            c = self._cluster(p["ClusterId"])
            out = []
            for sid in p["StepIds"]:
                s = self.steps.get(sid)
                if s is None or s.cluster is not c:
                    out.append({"StepId": sid, "Status": "FAILED", "Reason": "Step id is not valid."})
                elif s.state == "PENDING":
                    self._set_state(s, "CANCELLED", "cancelled by CancelSteps")
                    out.append({"StepId": sid, "Status": "SUBMITTED", "Reason": ""})
                elif s.state == "RUNNING":
                    s.cancel_requested = True
                    self._set_state(s, "CANCEL_PENDING")
                    self._signal(s)
                    out.append({"StepId": sid, "Status": "SUBMITTED", "Reason": ""})
                else:
                    out.append({"StepId": sid, "Status": "FAILED",
                                "Reason": f"Step is in state {s.state} and cannot be cancelled."})
            self._schedule(c)
            return {"CancelStepsInfoList": out}

    def op_ListInstances(self, p, ctx):
        with self.lock:
            c = self._cluster(p["ClusterId"])
            rows = [{"Id": f"ci-{c.id[2:]}", "Ec2InstanceId": f"i-{c.id[2:].lower()}0",
                     "Status": {"State": "RUNNING" if c.state in ACTIVE_CLUSTER else "TERMINATED"}}]
        return self.page(rows, p.get("Marker"), 50, "Instances", "Marker", "Marker")

    def op_RunJobFlow(self, p, ctx):
        level = p.get("StepConcurrencyLevel")
        c = self.create_cluster(p["Name"], "WAITING", level=level)
        if p.get("Steps"):
            self.op_AddJobFlowSteps({"JobFlowId": c.id, "Steps": p["Steps"]}, ctx)
        return {"JobFlowId": c.id, "ClusterArn": c.arn(ctx.region, ctx.account)}

    def op_TerminateJobFlows(self, p, ctx):
        for cid in p["JobFlowIds"]:
            self.set_cluster_state(cid, "TERMINATED")
        return {}

    def shutdown(self):
        with self.lock:
            for s in self.steps.values():
                if s.proc and s.proc.poll() is None:
                    try:
                        os.killpg(s.proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
