"""Project parsing as the 3.81 web does at upload (flow-semantics.md section 1).

Produces a small graph model (FlowDef / NodeDef) that flowdata.py turns into the
ExecutableFlow JSON. Only what the web puts into flow_data is modelled: ids, types,
edges, sources, conditions. Job properties are not resolved here.
"""

import io
import os
import re
import shutil
import tempfile
import zipfile

import yaml


class ProjectError(Exception):
    pass


class NodeDef:
    def __init__(self, node_id, node_type, job_source=None, prop_source=None,
                 condition=None, condition_on_job_status="all_success"):
        self.id = node_id
        self.type = node_type
        self.job_source = job_source
        self.prop_source = prop_source
        self.condition = condition
        self.condition_on_job_status = condition_on_job_status
        self.in_nodes = []
        self.out_nodes = []
        self.embedded = None  # FlowDef for type=flow nodes


class FlowDef:
    def __init__(self, flow_id, properties):
        self.flow_id = flow_id
        self.properties = properties  # [{"source":..., "inherited":...}]
        self.nodes = {}  # id -> NodeDef, insertion order = file order

    def link(self, src, dst):
        self.nodes[dst].in_nodes.append(src)
        self.nodes[src].out_nodes.append(dst)


class Project:
    def __init__(self, root, flow_version, flows, flow_files):
        self.root = root
        self.flow_version = flow_version  # 1.0 or 2.0
        self.flows = flows  # flow name -> FlowDef (top-level flows only)
        self.flow_files = flow_files  # Flow 2.0: [(file name, bytes)]


# -- Java .properties ------------------------------------------------------------------------
def parse_java_properties(data):
    """java.util.Properties.load over ISO-8859-1 text (1.2.1)."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    props = {}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        # Join continuation lines: an odd number of trailing backslashes continues.
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1 and i <= len(lines):
            line = line[:-1] + (lines[i].lstrip(" \t\f") if i < len(lines) else "")
            i += 1
        key, value = _split_property(line)
        props[_unescape(key)] = _unescape(value)
    return props


def _split_property(line):
    j = 0
    while j < len(line) and line[j] not in "=: \t\f":
        j += 2 if line[j] == "\\" else 1
    key, rest = line[:j], line[j:]
    # One '=' or ':' separator, optionally surrounded by white space.
    rest = rest.lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def _unescape(s):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 >= len(s):
            out.append(c)
            i += 1
            continue
        n = s[i + 1]
        if n == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", s[i + 2:i + 6] or ""):
            out.append(chr(int(s[i + 2:i + 6], 16)))
            i += 6
            continue
        out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(n, n))
        i += 2
    return "".join(out)


# -- format detection ------------------------------------------------------------------------
def _is_flow2(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        proj = [f for f in sorted(filenames) if f.endswith(".project") and len(f) > 8
                and not f.startswith(".")]
        if len(proj) > 1:
            raise ProjectError("Duplicate project YAML files found in the project directory.")
        if proj:
            with open(os.path.join(dirpath, proj[0]), "rb") as f:
                doc = yaml.safe_load(f.read())
            if isinstance(doc, dict) and doc.get("azkaban-flow-version") == 2.0 \
                    and isinstance(doc.get("azkaban-flow-version"), float):
                return True
            raise ProjectError("Invalid azkaban-flow-version in " + proj[0])
    return False


def load_project(root):
    root = os.path.abspath(root)
    if _is_flow2(root):
        return _load_flow2(root)
    return _load_flow1(root)


# -- Flow 1.0 ---------------------------------------------------------------------------------
class _Job1:
    def __init__(self, name, job_source, prop_source, props, chain):
        self.name = name
        self.job_source = job_source
        self.prop_source = prop_source
        self.props = props
        self.chain = chain  # list of shared props dicts, nearest first

    def get(self, key):
        if key in self.props:
            return self.props[key]
        for p in self.chain:
            if key in p:
                return p[key]
        return None


def _load_flow1(root):
    shared = []  # [{"source", "inherited"?}] in discovery order
    jobs = {}

    def walk(directory, chain, last_source):
        entries = sorted(os.listdir(directory))
        for fname in entries:
            path = os.path.join(directory, fname)
            if fname.endswith(".properties") and os.path.isfile(path):
                rel = os.path.relpath(path, root)
                entry = {"source": rel}
                if last_source:
                    entry["inherited"] = last_source
                shared.append(entry)
                with open(path, "rb") as f:
                    chain = [parse_java_properties(f.read())] + chain
                last_source = rel
        for fname in entries:
            path = os.path.join(directory, fname)
            if fname.endswith(".job") and not fname.startswith(".") and os.path.isfile(path):
                name = fname[:-len(".job")]
                if name in jobs:
                    raise ProjectError("Duplicate job names found '%s'." % name)
                with open(path, "rb") as f:
                    props = parse_java_properties(f.read())
                jobs[name] = _Job1(name, os.path.relpath(path, root), last_source, props, chain)
        for fname in entries:
            path = os.path.join(directory, fname)
            if os.path.isdir(path) and not fname.startswith("."):
                walk(path, chain, last_source)

    walk(root, [], None)
    deps = {}
    for job in jobs.values():
        if job.get("type") is None:
            raise ProjectError("Job doesn't have type set '%s'." % job.name)
        raw = job.get("dependencies") or ""
        deps[job.name] = [d.strip() for d in raw.split(",") if d.strip()]
        for d in deps[job.name]:
            if d not in jobs:
                raise ProjectError("%s cannot find dependency %s" % (job.name, d))
    depended = {d for ds in deps.values() for d in ds}
    roots = [n for n in jobs if n not in depended or
             (jobs[n].get("root.node") or "").lower() == "true"]

    def build(flow_name, stack):
        if flow_name not in roots:
            raise ProjectError("flow %s can't be found" % flow_name)
        if flow_name in stack:
            raise ProjectError("Embedded flow cycle found in %s" % flow_name)
        members, todo = [], [flow_name]
        while todo:  # everything reachable from the end job through its dependencies
            n = todo.pop()
            if n in members:
                continue
            members.append(n)
            todo.extend(deps[n])
        flow = FlowDef(flow_name, [dict(e) for e in shared])
        for n in sorted(members):
            job = jobs[n]
            node = NodeDef(n, job.get("type"), job.job_source, job.prop_source)
            if node.type == "flow":
                node.embedded = build(job.get("flow.name"), stack + [flow_name])
            flow.nodes[n] = node
        for n in sorted(members):
            for d in deps[n]:
                flow.link(d, n)
        return flow

    flows = {r: build(r, []) for r in sorted(roots)}
    return Project(root, 1.0, flows, [])


# -- Flow 2.0 ---------------------------------------------------------------------------------
_MACROS = ("all_success", "all_failed", "all_done", "one_failed", "one_success")
_NODE_KEYS = {"name", "type", "config", "dependsOn", "condition", "nodes", "trigger"}


def _condition_on_job_status(condition):
    if not condition:
        return "all_success"
    operands = re.split(r"&&|\|\||==|!=|>=|<=|>|<", re.sub(r"[\s()]", "", condition))
    for op in operands:
        if op.lower() in _MACROS:
            return op.lower()
    return "all_success"


def _load_flow2(root):
    flows, files = {}, []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fname in sorted(filenames):
            if not fname.endswith(".flow"):
                continue
            with open(os.path.join(dirpath, fname), "rb") as f:
                data = f.read()
            name = fname[:-len(".flow")]
            if name in flows:
                raise ProjectError("Duplicate flows found in the project with name " + name)
            doc = yaml.safe_load(data) or {}
            flows[name] = _flow2(name, doc, fname)
            files.append((fname, data))
    return Project(root, 2.0, flows, files)


def _flow2(flow_id, doc, fname):
    unknown = set(doc) - _NODE_KEYS
    if unknown:
        raise ProjectError("Error loading flow yaml file %s: unknown keys %s" % (fname, unknown))
    flow = FlowDef(flow_id, [{"source": fname}])
    beans = doc.get("nodes") or []
    for bean in beans:
        name = str(bean["name"])
        node = NodeDef(name, str(bean.get("type")), fname, fname, bean.get("condition"),
                       _condition_on_job_status(bean.get("condition")))
        if node.type == "flow":
            node.embedded = _flow2(flow_id + ":" + name, bean, fname)
        flow.nodes[name] = node
    for bean in beans:
        for dep in bean.get("dependsOn") or []:
            if str(dep) not in flow.nodes:
                raise ProjectError("dependency undefined: %s" % dep)
            flow.link(str(dep), str(bean["name"]))
    return flow


# -- archives ---------------------------------------------------------------------------------
def zip_directory(root):
    """Deterministic zip of a project directory (paths relative to it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fname in sorted(filenames):
                full = os.path.join(dirpath, fname)
                info = zipfile.ZipInfo(os.path.relpath(full, root), date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as f:
                    zf.writestr(info, f.read())
    return buf.getvalue()


def load_archive(archive):
    """load_project() of a zip given as bytes (unpacked into a temp dir and removed)."""
    tmp = tempfile.mkdtemp(prefix="azx-zip-")
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            zf.extractall(tmp)
        project = load_project(tmp)
        project.root = None  # the directory is gone after this call
        return project
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
