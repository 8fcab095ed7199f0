"""ECS UpdateService / DescribeServices with a running count that converges on the desired count.

The running count moves one task per ecs.converge_interval_ms (default 1000) towards
desiredCount; a service created with never_scale_down=true never loses running tasks
(to test the rotate script's bounded wait).
"""

import datetime
import threading
import time
import uuid

from .protocol import AwsError
from .service import Service


class EcsService(Service):
    name = "ecs"

    def __init__(self, emu):
        super().__init__(emu)
        cfg = emu.config.get("ecs", {})
        self.interval = float(cfg.get("converge_interval_ms", 1000)) / 1000.0
        self.lock = threading.Lock()
        self.services = {}  # (cluster, name) -> dict
        for cl, svcs in cfg.get("clusters", {}).items():
            for name, spec in svcs.get("services", {}).items():
                self.create_service(cl, name, **spec)

    def create_service(self, cluster, name, desiredCount=1, runningCount=None, never_scale_down=False,
                       taskDefinition=None):
        with self.lock:
            now = time.time()
            self.services[(cluster, name)] = {
                "cluster": cluster, "name": name, "desired": int(desiredCount),
                "anchor_running": int(desiredCount if runningCount is None else runningCount),
                "anchor_time": now, "never_scale_down": bool(never_scale_down),
                "task_def": taskDefinition or f"{name}:1", "created": now, "deployment": str(uuid.uuid4()),
                "updated": now}

    def _running(self, s):
        steps = int((time.time() - s["anchor_time"]) / self.interval) if self.interval > 0 else 10 ** 9
        r, d = s["anchor_running"], s["desired"]
        if d > r:
            return min(d, r + steps)
        if s["never_scale_down"]:
            return r
        return max(d, r - steps)

    def _arn(self, kind, name):
        return f"arn:aws:ecs:{self.emu.region}:{self.emu.account}:{kind}/{name}"

    def _view(self, s):
        running = self._running(s)
        td = s["task_def"] if s["task_def"].startswith("arn:") else self._arn("task-definition", s["task_def"])
        pending = max(0, s["desired"] - running)
        ts = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc)  # noqa: E731
        return {"serviceArn": self._arn("service", f"{s['cluster']}/{s['name']}"), "serviceName": s["name"],
                "clusterArn": self._arn("cluster", s["cluster"]), "status": "ACTIVE",
                "desiredCount": s["desired"], "runningCount": running, "pendingCount": pending,
                "launchType": "FARGATE", "taskDefinition": td, "createdAt": ts(s["created"]),
                "deployments": [{"id": f"ecs-svc/{s['deployment']}", "status": "PRIMARY", "taskDefinition": td,
                                 "desiredCount": s["desired"], "runningCount": running, "pendingCount": pending,
                                 "createdAt": ts(s["updated"]), "updatedAt": ts(s["updated"]),
                                 "rolloutState": "COMPLETED" if running == s["desired"] else "IN_PROGRESS"}],
                "events": []}

    @staticmethod
    def _short(x):
        return x.rsplit("/", 1)[-1]

    def op_UpdateService(self, p, ctx):
        cluster = self._short(p.get("cluster", "default"))
        with self.lock:
            s = self.services.get((cluster, self._short(p["service"])))
            if s is None:
                raise AwsError("ServiceNotFoundException", "Service not found.")
            if "desiredCount" in p:
                if p["desiredCount"] < 0:
                    raise AwsError("InvalidParameterException", "desiredCount must be >= 0")
                s["anchor_running"] = self._running(s)
                s["anchor_time"] = time.time()
                s["desired"] = p["desiredCount"]
            if p.get("taskDefinition"):
                s["task_def"] = p["taskDefinition"]
            if p.get("taskDefinition") or p.get("forceNewDeployment"):
                s["deployment"] = str(uuid.uuid4())
            s["updated"] = time.time()
            return {"service": self._view(s)}

    def op_DescribeServices(self, p, ctx):
        cluster = self._short(p.get("cluster", "default"))
        if len(p["services"]) > 10:
            raise AwsError("InvalidParameterException", "at most 10 services per call")
        out, failures = [], []
        with self.lock:
            for name in p["services"]:
                s = self.services.get((cluster, self._short(name)))
                if s is None:
                    failures.append({"arn": self._arn("service", f"{cluster}/{self._short(name)}"),
                                     "reason": "MISSING"})
                else:
                    out.append(self._view(s))
        return {"services": out, "failures": failures}
