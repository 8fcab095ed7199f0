"""HTTP front end: one ThreadingHTTPServer on 127.0.0.1 serving every service plus /__admin/.

Routing: X-Amz-Target (json protocols) -> service by target prefix; otherwise the SigV4
credential scope's service name; unsigned requests: Lambda path, query Action, else S3.
Per request: count the call, verify the signature, parse and validate the input against
the botocore model, apply the token bucket and injected faults, run the handler, validate
and serialise the output.
"""

import http.server
import json
import os
import re
import sys
import threading
import time
import traceback
import urllib.parse

from . import protocol
from .cognito import CognitoService
from .container_creds import ContainerCredentials
from .control import Control
from .ecs import EcsService
from .emr import EmrService
from .lambda_svc import LambdaService
from .logs import LogsService, LogStore
from .protocol import AwsError, EmulatorBug
from .s3 import S3Service
from .secrets import SecretsService
from .service import Context
from .sigv4 import DEFAULT_ACCESS_KEY, DEFAULT_ACCOUNT, DEFAULT_SECRET_KEY, Credential, CredentialStore, verify
from .sqs import SqsService, SqsStore
from .sts import StsService

_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_IPV4_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


class Emulator:
    def __init__(self, config, state_dir):
        self.config = config
        self.state_dir = state_dir
        self.region = config.get("region", "eu-west-2")
        self.account = config.get("account_id", DEFAULT_ACCOUNT)
        self.creds = CredentialStore()
        keys = config.get("credentials") or {DEFAULT_ACCESS_KEY: DEFAULT_SECRET_KEY}
        for akid, secret in keys.items():
            self.creds.add(Credential(akid, secret, account=self.account))
        self.control = Control()
        for api, rl in config.get("rate_limits", {}).items():
            self.control.set_rate_limit(api, rl.get("rate"), rl.get("burst"))
        for f in config.get("faults", []):
            self.control.add_fault(f["api"], f.get("count", 1), f.get("status", 500), f.get("delay_ms", 0))
        self.log_store = LogStore(int(config.get("logs", {}).get("ingest_delay_ms", 0)))
        self.sqs_store = SqsStore()
        for q in config.get("sqs", {}).get("queues", []):
            self.sqs_store.create(q)
        self.emr = EmrService(self, self.log_store, self.sqs_store)
        svcs = [self.emr, LogsService(self, self.log_store), LambdaService(self, self.emr), StsService(self),
                SqsService(self, self.sqs_store), SecretsService(self), S3Service(self), EcsService(self),
                CognitoService(self)]
        self.services = {s.name: s for s in svcs}
        self.container = ContainerCredentials(self)
        self.json_targets = {}
        self.signing_names = {}
        for name in self.services:
            m = protocol.service_model(name)
            if m.metadata["protocol"] == "json":
                self.json_targets[m.metadata["targetPrefix"]] = name
            self.signing_names[m.signing_name] = name
        self._log_lock = threading.Lock()
        self._log = open(os.path.join(state_dir, "requests.log"), "a", buffering=1)
        self.server = None

    def log(self, line):
        with self._log_lock:
            self._log.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    # ------------------------------------------------------------ AWS request path

    def route(self, method, path, headers, body):
        target = headers.get("x-amz-target")
        if target:
            prefix, _, op = target.rpartition(".")
            if prefix not in self.json_targets:
                raise AwsError("UnknownOperationException", f"unknown target {target}")
            return self.json_targets[prefix], op
        m = _SCOPE_RE.search(headers.get("authorization", ""))
        if m:
            name = self.signing_names.get(m.group(2))
            if name is None:
                raise AwsError("UnrecognizedServiceException", f"service {m.group(2)} is not emulated")
            return name, None
        if path.startswith("/2015-03-31/functions/"):
            return "lambda", None
        if method == "POST" and b"Action=" in body:
            action = protocol.parse_form(body).get("Action")
            if action in self.services["sts"].implemented():
                return "sts", None
            return "sqs", None
        return "s3", None

    @staticmethod
    def s3_path(host, path):
        """Virtual-host style '<bucket>.s3.<...>' or '<bucket>.localhost' -> path style."""
        h = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        if _IPV4_RE.match(h) or h == "localhost":
            return path
        m = re.match(r"^(.+?)\.s3[.-]", h) or re.match(r"^(.+)\.localhost$", h)
        return "/" + m.group(1) + path if m else path

    def handle_aws(self, method, raw_path, raw_query, header_items, body):
        """Returns (status, headers, body, api or None)."""
        rid = protocol.new_request_id()
        headers = {}
        for k, v in header_items:
            headers[k.lower()] = v
        path = urllib.parse.unquote(raw_path)
        query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
        model = None
        api = None
        try:
            svc_name, op_name = self.route(method, path, headers, body)
            svc = self.services[svc_name]
            model = protocol.service_model(svc_name)
            proto = model.metadata["protocol"]
            is_s3 = svc_name == "s3"
            form = None
            path_params = None
            if proto == "json":
                if op_name not in model.operation_names:
                    raise AwsError("UnknownOperationException", f"unknown operation {op_name}")
            elif proto == "query":
                if method != "POST":
                    raise AwsError("ValidationException", "query protocol requests must be POST")
                form = protocol.parse_form(body)
                op_name = form.get("Action")
                if op_name not in model.operation_names:
                    raise AwsError("InvalidAction", f"Could not find operation {op_name}")
            else:
                # Match on the path as sent: each URI member is percent-decoded exactly once.
                rpath = self.s3_path(headers.get("host", ""), raw_path) if is_s3 else raw_path
                op_model, path_params = protocol.find_rest_operation(model, method, rpath, query, svc.implemented())
                op_name = op_model.name
            api = f"{svc_name}.{op_name}"
            self.control.record_call(api)

            cred, region = None, None
            unsigned_ok = op_name in getattr(svc, "unsigned_operations", ())
            if not (unsigned_ok and "authorization" not in headers):
                cred, region, scope_service = verify(self.creds, proto, method, raw_path, raw_query,
                                                     header_items, body, is_s3)
                if scope_service != model.signing_name:
                    raise protocol.error_for("bad_signature", proto,
                                             f"credential scope service {scope_service} != {model.signing_name}")

            if proto == "json":
                op, params = protocol.parse_json_request(model, op_name, headers, body)
            elif proto == "query":
                op, params = protocol.parse_query_request(model, form)
            else:
                op = op_model
                params = protocol.parse_rest_request(model, op, path_params, query, headers, body)
            problems = protocol.validate(params, op.input_shape)
            if problems:
                raise AwsError("ValidationException", "; ".join(problems))

            if not self.control.take_token(api):
                raise protocol.throttling_error(svc_name)
            fault = self.control.next_fault(api)
            if fault:
                status, delay_ms = fault
                if delay_ms:
                    time.sleep(delay_ms / 1000.0)
                    self.control.record_delay(api)
                if status:
                    raise protocol.fault_error(svc_name, status)

            ctx = Context(self, cred, region, headers.get("host", "127.0.0.1"), headers)
            output = svc.handle(op_name, params, ctx)
            status, rh, rb = protocol.serialize_response(model, op, output, rid)
            return status, rh, rb, api
        except AwsError as e:
            try:
                status, rh, rb = protocol.serialize_error(model, e, rid)
            except EmulatorBug as bug:
                return self._bug(bug, api)
            self.log(f"{api} -> {e.status} {e.code}: {e.message.splitlines()[0][:200]}")
            return status, rh, rb, api
        except EmulatorBug as bug:
            return self._bug(bug, api)
        except Exception as e:  # noqa: BLE001 - an emulator crash must still answer
            traceback.print_exc(file=sys.stderr)
            return self._bug(EmulatorBug(f"{type(e).__name__}: {e}"), api)

    def _bug(self, bug, api):
        msg = f"EMULATOR BUG in {api}: {bug}"
        print(msg, file=sys.stderr, flush=True)
        self.log(msg)
        body = json.dumps({"__type": "EmulatorBug", "message": str(bug)}).encode()
        return 500, {"Content-Type": "application/json", "x-emulator-bug": "1"}, body, api

    # ------------------------------------------------------------ admin API

    def handle_admin(self, method, path, body):
        try:
            req = json.loads(body.decode()) if body.strip() else {}
        except ValueError:
            return 400, {"error": "body must be JSON"}
        parts = [p for p in path[len("/__admin/"):].split("/") if p]
        key = (method, "/".join(parts[:2]))
        emr = self.emr
        try:
            if key == ("GET", "health"):
                return 200, {"ok": True, "port": self.server.server_address[1], "region": self.region,
                             "account": self.account}
            if key == ("POST", "shutdown"):
                # Let this response go out before the server stops.
                threading.Timer(0.2, self.server.shutdown).start()
                return 200, {"ok": True}
            if key == ("POST", "emr/clusters") and len(parts) == 2:
                c = emr.create_cluster(req.get("name", "cluster"), req.get("state", "WAITING"), req.get("id"),
                                       req.get("step_concurrency"), req.get("delay_ms", 0) / 1000.0)
                return 200, {"id": c.id, "name": c.name, "state": c.state}
            if key == ("GET", "emr/clusters"):
                with emr.lock:
                    return 200, {"clusters": [{"id": c.id, "name": c.name, "state": c.state,
                                               "step_concurrency": c.step_concurrency}
                                              for c in emr.clusters.values()]}
            if key == ("POST", "emr/clusters") and len(parts) == 4 and parts[3] == "state":
                c = emr.set_cluster_state(parts[2], req["state"])
                return 200, {"id": c.id, "state": c.state}
            if key == ("GET", "emr/steps"):
                return 200, {"steps": emr.admin_steps()}
            if key == ("POST", "ratelimits"):
                self.control.set_rate_limit(req["api"], req.get("rate"), req.get("burst"))
                return 200, {"rate_limits": self.control.rate_limits()}
            if key == ("GET", "ratelimits"):
                return 200, {"rate_limits": self.control.rate_limits()}
            if key == ("POST", "faults"):
                self.control.add_fault(req["api"], req.get("count", 1), req.get("status", 500),
                                       req.get("delay_ms", 0))
                return 200, {"faults": self.control.faults()}
            if key == ("GET", "faults"):
                return 200, {"faults": self.control.faults()}
            if key == ("DELETE", "faults"):
                self.control.clear_faults()
                return 200, {"faults": {}}
            if key == ("GET", "calls"):
                return 200, self.control.snapshot()
            if key == ("POST", "calls/reset"):
                return 200, self.control.snapshot(reset=True)
            if key == ("POST", "credentials/rotate"):
                c = self.container.rotate(bool(req.get("revoke_previous")))
                return 200, {"AccessKeyId": c.access_key}
            if key == ("GET", "credentials"):
                c = self.container.current
                return 200, {"current": c.access_key if c else None, "served": self.container.served}
            if key == ("POST", "credentials"):
                self.creds.add(Credential(req["access_key"], req["secret_key"], req.get("token"),
                                          account=req.get("account", self.account)))
                return 200, {"ok": True}
            if key == ("POST", "s3/objects"):
                import base64
                data = base64.b64decode(req["body_base64"]) if "body_base64" in req else req["body"].encode()
                self.services["s3"].put(req["bucket"], req["key"], data,
                                        req.get("content_type", "binary/octet-stream"))
                return 200, {"ok": True}
            if key == ("POST", "secrets"):
                rec = self.services["secretsmanager"].put(req["name"], req)
                return 200, {"ARN": rec["ARN"]}
            if key == ("POST", "sqs/queues"):
                self.sqs_store.create(req["name"])
                return 200, {"ok": True}
            if key == ("GET", "sqs/queues") and len(parts) == 4 and parts[3] == "messages":
                return 200, {"messages": [{"id": m["id"], "body": m["body"], "receives": m["receives"]}
                                          for m in self.sqs_store.peek_all(parts[2])]}
            if key == ("POST", "ecs/services"):
                self.services["ecs"].create_service(
                    req.get("cluster", "default"), req["service"], req.get("desiredCount", 1),
                    req.get("runningCount"), req.get("never_scale_down", False), req.get("taskDefinition"))
                return 200, {"ok": True}
            if key == ("POST", "lambda/functions"):
                spec = dict(req)
                self.services["lambda"].set_function(spec.pop("name"), spec)
                return 200, {"ok": True}
            if key == ("GET", "lambda/invocations"):
                return 200, {"invocations": list(self.services["lambda"].invocations)}
            cognito = self.services["cognito-idp"]
            if key == ("POST", "cognito/groups"):
                cognito.add_group(req["pool"], req["GroupName"], req.get("Description"), req.get("Precedence"))
                return 200, {"ok": True}
            if key == ("POST", "cognito/users"):
                sub = cognito.add_user(req["pool"], req["Username"], req.get("Attributes"), req.get("Groups", ()),
                                       req.get("Enabled", True), req.get("UserStatus", "CONFIRMED"))
                return 200, {"sub": sub}
            if key == ("POST", "cognito/remove-member"):
                cognito.remove_from_group(req["pool"], req["Username"], req["GroupName"])
                return 200, {"ok": True}
            if key == ("GET", "cognito/calls"):
                with cognito.lock:
                    return 200, {"calls": list(cognito.calls)}
        except (KeyError, TypeError, ValueError) as e:
            return 400, {"error": f"bad admin request: {type(e).__name__}: {e}"}
        except AwsError as e:
            return 400, {"error": e.code, "message": e.message}
        return 404, {"error": f"unknown admin route {method} {path}"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-emulator"

    def log_message(self, fmt, *args):  # requests are logged by Emulator.log instead
        pass

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, headers, body):
        self.send_response(status)
        length = str(len(body))
        for k, v in headers.items():
            if k.lower() == "content-length":
                length = v if self.command == "HEAD" else length  # HEAD announces the object size
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        emu = self.server.emu
        body = self._read_body()
        raw_path, _, raw_query = self.path.partition("?")
        if raw_path.startswith("/__admin/"):
            status, doc = emu.handle_admin(self.command, raw_path, body)
            self._send(status, {"Content-Type": "application/json"}, json.dumps(doc, default=str).encode())
            return
        if self.command == "GET" and emu.container.matches(raw_path) and "X-Amz-Date" not in self.headers:
            status, out = emu.container.serve({k.lower(): v for k, v in self.headers.items()})
            emu.control.record_call("container.credentials")
            emu.log(f"container.credentials -> {status}")
            self._send(status, {"Content-Type": "application/json"}, out)
            return
        status, headers, out, api = emu.handle_aws(self.command, raw_path, raw_query,
                                                   list(self.headers.items()), body)
        if api:
            emu.control.record_outcome(api, status)
        if status < 300:
            emu.log(f"{api} -> {status}")
        self._send(status, headers, out)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(config, state_dir, port):
    emu = Emulator(config, state_dir)
    server = Server(("127.0.0.1", port), Handler)  # loopback only, by design
    server.emu = emu
    emu.server = server
    return server


def run(server, port_file):
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(tmp, port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.emu.emr.shutdown()
        server.server_close()
