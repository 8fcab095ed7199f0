"""ExecutableFlow JSON as the 3.81 web writes it at submission (wire spec 5.2-5.7, 5.11),
the `update` delta as the web applies it (5.8), and the codecs of section 4.2."""

import copy
import gzip
import json

STATUS_CODES = {
    "READY": 10, "PREPARING": 20, "RUNNING": 30, "PAUSED": 40, "SUCCEEDED": 50,
    "KILLING": 55, "KILLED": 60, "FAILED": 70, "FAILED_FINISHING": 80, "SKIPPED": 90,
    "DISABLED": 100, "QUEUED": 110, "FAILED_SUCCEEDED": 120, "CANCELLED": 125,
}
STATUS_NAMES = {v: k for k, v in STATUS_CODES.items()}
WEB_FINISHED = ("SUCCEEDED", "FAILED", "KILLED")  # the web's notion of "finished" (4.2)
WEB_FINISHED_CODES = tuple(STATUS_CODES[s] for s in WEB_FINISHED)

ENC_PLAIN, ENC_GZIP = 1, 2


# -- codecs ---------------------------------------------------------------------------------
def gzip_bytes(data):
    return gzip.compress(data, mtime=0)


def decode_blob(blob, enc_type=ENC_GZIP):
    """enc_type 2 = gzip, anything else = plain UTF-8 (4.2)."""
    if blob is None:
        return None
    data = bytes(blob)
    if enc_type == ENC_GZIP:
        data = gzip.decompress(data)
    return data.decode("utf-8")


def encode_json_gzip(obj):
    return gzip_bytes(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def decode_json_blob(blob, enc_type=ENC_GZIP):
    text = decode_blob(blob, enc_type)
    return None if text is None else json.loads(text)


# -- building flow_data --------------------------------------------------------------------
def default_execution_options(**overrides):
    opts = {
        "flowParameters": {},
        "notifyOnFirstFailure": True,
        "notifyOnLastFailure": False,
        "successEmails": [],
        "failureEmails": [],
        "failureAction": "FINISH_CURRENTLY_RUNNING",
        "pipelineLevel": None,
        "pipelineExecId": None,
        "queueLevel": 0,
        "concurrentOption": "ignore",
        "disabled": [],
        "failureEmailsOverride": False,
        "successEmailsOverride": False,
        "mailCreator": "default",
        "memoryCheck": True,
    }
    unknown = set(overrides) - set(opts)
    if unknown:
        raise ValueError("unknown execution options: %s" % sorted(unknown))
    opts.update(overrides)
    return opts


def _node_json(node):
    obj = {
        "id": node.id,
        "status": "READY",
        "startTime": -1,
        "endTime": -1,
        "updateTime": -1,
        "type": node.type,
        "condition": node.condition,
        "conditionOnJobStatus": node.condition_on_job_status,
        "attempt": 0,
    }
    if node.in_nodes:
        obj["inNodes"] = list(node.in_nodes)
    if node.out_nodes:
        obj["outNodes"] = list(node.out_nodes)
    if node.prop_source:
        obj["propSource"] = node.prop_source
    if node.job_source:
        obj["jobSource"] = node.job_source
    if node.embedded is not None:
        obj["flowId"] = node.embedded.flow_id
        obj["nodes"] = [_node_json(n) for n in node.embedded.nodes.values()]
        obj["properties"] = [dict(p) for p in node.embedded.properties]
    return obj


def _apply_disabled(nodes, disabled):
    by_id = {n["id"]: n for n in nodes}
    for entry in disabled:
        if isinstance(entry, str):
            if entry in by_id:
                by_id[entry]["status"] = "DISABLED"
        elif isinstance(entry, dict) and entry.get("id") in by_id:
            inner = by_id[entry["id"]]
            if "nodes" in inner:
                _apply_disabled(inner["nodes"], entry.get("children") or [])


def build_flow_data(project, flow_name, project_id, project_name, version, submit_user="azkaban",
                    submit_time=0, last_modified_time=0, last_modified_user=None,
                    proxy_users=(), sla_options=(), schedule_id=-1, **options):
    """The document the web writes at submission; `options` go into executionOptions.

    `project` is a projects.Project. Status is PREPARING (the web sets it before the
    first write), every node READY with times -1 (flow-semantics 1.4).
    """
    flow = project.flows[flow_name]
    opts = default_execution_options(**options)
    nodes = [_node_json(n) for n in flow.nodes.values()]
    _apply_disabled(nodes, opts["disabled"])
    doc = {
        "id": None,
        "status": "PREPARING",
        "startTime": -1,
        "endTime": -1,
        "updateTime": -1,
        "type": None,
        "condition": None,
        "conditionOnJobStatus": "all_success",
        "attempt": 0,
        "flowId": flow_name,
        "nodes": nodes,
        "properties": [dict(p) for p in flow.properties],
        "executionId": -1,
        "executionPath": None,
        "projectId": project_id,
        "projectName": project_name,
        "submitUser": submit_user,
        "version": version,
        "lastModfiedTime": last_modified_time,
        "lastModifiedUser": last_modified_user or submit_user,
        # A Python float always serialises with its decimal point (2.0), as 5.1 requires.
        "azkabanFlowVersion": float(project.flow_version),
        "executionOptions": opts,
        "proxyUsers": list(proxy_users),
        "submitTime": submit_time,
        "slaOptions": list(sla_options),
        "isLocked": False,
        "flowLockErrorMessage": None,
    }
    if schedule_id >= 0:
        doc["scheduleId"] = schedule_id
    return doc


def dumps(doc):
    return json.dumps(doc, separators=(",", ":"))


# -- navigating ----------------------------------------------------------------------------
def iter_nodes(flow, prefix=""):
    """(nested id, node) for every node below `flow`, depth first."""
    for node in flow.get("nodes", []):
        nested = prefix + node["id"]
        yield nested, node
        if "nodes" in node:
            yield from iter_nodes(node, nested + ":")


def node_statuses(flow):
    return {nested: node["status"] for nested, node in iter_nodes(flow)}


def find_node(flow, nested_id):
    cur = flow
    for part in nested_id.split(":"):
        cur = next(n for n in cur["nodes"] if n["id"] == part)
    return cur


# -- the update delta (5.8) ----------------------------------------------------------------
class DeltaError(Exception):
    """A delta the web could not apply (would break its processing of the reply)."""


def apply_delta(flow, delta):
    """Apply one `updated` entry to the web's copy, in place, like ExecutableFlowBase does."""
    _apply_node(flow, delta)


def _apply_node(node, delta):
    if "status" in delta:
        code = delta["status"]
        if not isinstance(code, int) or code not in STATUS_NAMES:
            raise DeltaError("status must be a numeric status code, got %r" % (code,))
        node["status"] = STATUS_NAMES[code]
    for key in ("startTime", "endTime", "updateTime"):
        value = delta.get(key, -1)  # the web overwrites, missing -> -1
        if not isinstance(value, int):
            raise DeltaError("%s must be an integer, got %r" % (key, value))
        node[key] = value
    if "attempt" in delta:
        node["attempt"] = delta["attempt"]
    if "pastAttempts" in delta:
        node["pastAttempts"] = copy.deepcopy(delta["pastAttempts"])
    for child in delta.get("nodes", []):
        match = [n for n in node.get("nodes", []) if n["id"] == child.get("id")]
        if not match:
            raise DeltaError("delta names unknown node %r" % (child.get("id"),))
        _apply_node(match[0], child)
