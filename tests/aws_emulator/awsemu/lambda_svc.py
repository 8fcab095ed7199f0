"""Lambda Invoke (rest-json) with configurable per-function behaviour.

Config lambda.functions.<name> (or lambda.default for any name):
  {"action": "echo" | "static" | "create_cluster",
   "response": <JSON value returned as payload for static/create_cluster>,
   "function_error": "Unhandled" | "Handled" (reported with status 200, like Lambda),
   "delay_ms": invoke latency,
   "cluster_name_path": "overrides.Name" (dotted path into the payload, create_cluster),
   "cluster_delay_ms": time before the new cluster appears in ListClusters,
   "cluster_state": state it appears in (default WAITING)}
"""

import base64
import json
import threading
import time

from .protocol import AwsError
from .service import Service


class LambdaService(Service):
    name = "lambda"

    def __init__(self, emu, emr):
        super().__init__(emu)
        self.emr = emr
        cfg = emu.config.get("lambda", {})
        self.functions = dict(cfg.get("functions", {}))
        self.default = cfg.get("default")
        self.invocations = []
        self.lock = threading.Lock()

    def set_function(self, name, spec):
        with self.lock:
            self.functions[name] = spec

    def op_Invoke(self, p, ctx):
        name = p["FunctionName"].split(":function:")[-1].split(":")[0]
        with self.lock:
            spec = self.functions.get(name, self.default)
        if spec is None:
            raise AwsError("ResourceNotFoundException",
                           f"Function not found: arn:aws:lambda:{ctx.region}:{ctx.account}:function:{name}", 404)
        raw = p.get("Payload", b"")
        try:
            payload = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            raise AwsError("InvalidRequestContentException", "Could not parse request body into json", 400) from None
        itype = p.get("InvocationType", "RequestResponse")
        with self.lock:
            self.invocations.append({"function": name, "payload": payload, "invocation_type": itype,
                                     "time": time.time()})
        if itype == "DryRun":
            return {"StatusCode": 204}
        time.sleep(spec.get("delay_ms", 0) / 1000.0)
        action = spec.get("action", "echo")
        result = payload
        if action == "static":
            result = spec.get("response", {})
        elif action == "create_cluster":
            cname = payload
            for part in spec.get("cluster_name_path", "overrides.Name").split("."):
                cname = cname.get(part) if isinstance(cname, dict) else None
            if not isinstance(cname, str) or not cname:
                cname = spec.get("cluster_name", "emulated-cluster")
            c = self.emr.create_cluster(cname, spec.get("cluster_state", "WAITING"),
                                        delay_s=spec.get("cluster_delay_ms", 0) / 1000.0)
            result = spec.get("response", {"ClusterName": cname, "JobFlowId": c.id})
        out = {"StatusCode": 202 if itype == "Event" else 200, "ExecutedVersion": "$LATEST"}
        if itype == "Event":
            return out
        if spec.get("function_error"):
            out["FunctionError"] = spec["function_error"]
            result = {"errorMessage": spec.get("error_message", "emulated failure"),
                      "errorType": "Exception", "stackTrace": []}
        out["Payload"] = json.dumps(result).encode()
        if p.get("LogType") == "Tail":
            out["LogResult"] = base64.b64encode(f"START emulated {name}\nEND\n".encode()).decode()
        return out
