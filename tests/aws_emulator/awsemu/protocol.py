"""Request parsing, request/response validation and response/error serialisation.

Everything here is driven by botocore's service models so that the emulator checks
what AWS would check, not what our C++ client happens to send:

* requests are parsed by protocol (json, query, rest-json, rest-xml) into the
  parameter dict of the operation's input shape and validated with
  botocore.validate.ParamValidator plus enum/max checks botocore leaves out;
* responses are validated against the output shape the same way, serialised for
  the protocol and then parsed back with botocore.parsers (the parser the SDK
  uses) so a response our emulator produces is one botocore can read;
* error bodies are parsed back too, to be sure the error code survives.
"""

import base64
import datetime
import email.utils
import json
import threading
import urllib.parse
import uuid
from xml.etree import ElementTree as ET

import botocore.parsers
import botocore.session
import botocore.validate
from botocore.awsrequest import HeadersDict

_session_lock = threading.Lock()
_session = None
_models = {}


def service_model(name):
    """botocore service model, loaded once per process (loading is not thread safe)."""
    global _session
    with _session_lock:
        if _session is None:
            _session = botocore.session.get_session()
        if name not in _models:
            _models[name] = _session.get_service_model(name)
        return _models[name]


class AwsError(Exception):
    """An error answered to the client in the protocol's error shape."""

    def __init__(self, code, message, status=400, sender=True, headers=None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender
        self.headers = dict(headers or {})


class EmulatorBug(Exception):
    """Our own response failed model validation; answered as 500 and logged loudly."""


# Error codes per protocol family for the conditions the emulator itself raises.
_ERROR_CODES = {
    "bad_signature": {"json": ("InvalidSignatureException", 403),
                      "rest-json": ("InvalidSignatureException", 403),
                      "query": ("SignatureDoesNotMatch", 403),
                      "rest-xml": ("SignatureDoesNotMatch", 403)},
    "unknown_key": {"json": ("UnrecognizedClientException", 403),
                    "rest-json": ("UnrecognizedClientException", 403),
                    "query": ("InvalidClientTokenId", 403),
                    "rest-xml": ("InvalidAccessKeyId", 403)},
    "missing_auth": {"json": ("MissingAuthenticationTokenException", 403),
                     "rest-json": ("MissingAuthenticationTokenException", 403),
                     "query": ("MissingAuthenticationToken", 403),
                     "rest-xml": ("AccessDenied", 403)},
    "expired_token": {"json": ("ExpiredTokenException", 403),
                      "rest-json": ("ExpiredTokenException", 403),
                      "query": ("ExpiredToken", 403),
                      "rest-xml": ("ExpiredToken", 400)},
    "validation": {"json": ("ValidationException", 400),
                   "rest-json": ("ValidationException", 400),
                   "query": ("ValidationException", 400),
                   "rest-xml": ("ValidationException", 400)},
}

# Throttling / 5xx codes per service (what the real service answers).
_THROTTLE = {
    "lambda": ("TooManyRequestsException", 429),
    "s3": ("SlowDown", 503),
    "sts": ("Throttling", 400),
    "sqs": ("RequestThrottled", 400),
    "cognito-idp": ("TooManyRequestsException", 400),
}
_INTERNAL = {
    "emr": "InternalServerError", "lambda": "ServiceException", "s3": "InternalError",
    "ecs": "ServerException", "secretsmanager": "InternalServiceError",
    "cognito-idp": "InternalErrorException",
}
_UNAVAILABLE = {"logs": "ServiceUnavailableException", "s3": "ServiceUnavailable"}


def error_for(kind, protocol, message):
    code, status = _ERROR_CODES[kind][protocol]
    return AwsError(code, message, status)


def throttling_error(service):
    code, status = _THROTTLE.get(service, ("ThrottlingException", 400))
    headers = {"Retry-After": "1"} if status == 429 else {}
    return AwsError(code, "Rate exceeded", status, headers=headers)


def fault_error(service, status):
    if status == 503:
        return AwsError(_UNAVAILABLE.get(service, "ServiceUnavailable"),
                        "Service unavailable (injected)", 503, sender=False)
    return AwsError(_INTERNAL.get(service, "InternalFailure"),
                    "Internal error (injected)", status, sender=False)


# ---------------------------------------------------------------- validation

def _extra_checks(value, shape, name, problems):
    """Checks ParamValidator does not do: enum membership, max length/range, list/map depth."""
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        for k, v in value.items():
            if k in shape.members:
                _extra_checks(v, shape.members[k], f"{name}.{k}", problems)
    elif t == "list" and isinstance(value, list):
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{name}: list longer than {shape.metadata['max']}")
        for i, v in enumerate(value):
            _extra_checks(v, shape.member, f"{name}[{i}]", problems)
    elif t == "map" and isinstance(value, dict):
        for k, v in value.items():
            _extra_checks(k, shape.key, f"{name} key", problems)
            _extra_checks(v, shape.value, f"{name}[{k}]", problems)
    elif t == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            problems.append(f"{name}: {value!r} not one of {shape.enum}")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{name}: longer than {shape.metadata['max']}")
    elif t in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        if "max" in shape.metadata and value > shape.metadata["max"]:
            problems.append(f"{name}: {value} above maximum {shape.metadata['max']}")
    if t in ("integer", "long", "double", "float") and isinstance(value, bool):
        problems.append(f"{name}: boolean where a number is expected")


def validate(params, shape):
    """Return a list of problems (empty when valid)."""
    if shape is None:
        return [] if not params else ["operation takes no input"]
    report = botocore.validate.ParamValidator().validate(params, shape)
    problems = []
    if report.has_errors():
        problems.append(report.generate_report())
    _extra_checks(params, shape, "", problems)
    return problems


# ---------------------------------------------------------------- request parsing

def _convert_scalar(text, shape, where):
    t = shape.type_name
    try:
        if t in ("integer", "long"):
            return int(text)
        if t in ("double", "float"):
            return float(text)
        if t == "boolean":
            if text not in ("true", "false"):
                raise ValueError(text)
            return text == "true"
        if t == "blob":
            return base64.b64decode(text, validate=True)
    except ValueError as e:
        raise AwsError("ValidationException", f"{where}: invalid {t} value {text!r}") from e
    return text  # string, timestamp (ParamValidator parses timestamp strings)


_MISSING = object()


def _has_prefix(form, prefix):
    dotted = prefix + "."
    return any(k == prefix or k.startswith(dotted) for k in form)


def _query_value(form, shape, prefix, consumed):
    """Inverse of botocore.serialize.QuerySerializer for one value at `prefix`."""
    t = shape.type_name
    if t == "structure":
        if not _has_prefix(form, prefix):
            return _MISSING
        return _query_struct(form, shape, prefix, consumed)
    if t == "list":
        if form.get(prefix) == "":
            consumed.add(prefix)
            return []
        if shape.serialization.get("flattened"):
            list_prefix = prefix
            if shape.member.serialization.get("name"):
                list_prefix = ".".join(prefix.split(".")[:-1] + [shape.member.serialization["name"]])
        else:
            list_prefix = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        out = []
        i = 1
        while _has_prefix(form, f"{list_prefix}.{i}"):
            out.append(_query_value(form, shape.member, f"{list_prefix}.{i}", consumed))
            i += 1
        return out if out else _MISSING
    if t == "map":
        full = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        ks = shape.key.serialization.get("name", "key")
        vs = shape.value.serialization.get("name", "value")
        out = {}
        i = 1
        while _has_prefix(form, f"{full}.{i}"):
            k = _query_value(form, shape.key, f"{full}.{i}.{ks}", consumed)
            v = _query_value(form, shape.value, f"{full}.{i}.{vs}", consumed)
            out[k] = v
            i += 1
        return out if out else _MISSING
    if prefix in form:
        consumed.add(prefix)
        return _convert_scalar(form[prefix], shape, prefix)
    return _MISSING


def _query_struct(form, shape, prefix, consumed):
    out = {}
    for mname, mshape in shape.members.items():
        key = mshape.serialization.get("name", mname)
        full = f"{prefix}.{key}" if prefix else key
        v = _query_value(form, mshape, full, consumed)
        if v is not _MISSING:
            out[mname] = v
    return out


def parse_form(body):
    try:
        pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                       strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as e:
        raise AwsError("ValidationException", f"malformed form body: {e}") from e
    form = {}
    for k, v in pairs:
        if k in form:
            raise AwsError("ValidationException", f"parameter {k} given twice")
        form[k] = v
    return form


def parse_query_request(model, form):
    action = form.get("Action")
    if action not in model.operation_names:
        raise AwsError("InvalidAction", f"Could not find operation {action}")
    if form.get("Version") != model.api_version:
        raise AwsError("ValidationException",
                       f"Version must be {model.api_version}, got {form.get('Version')}")
    op = model.operation_model(action)
    consumed = {"Action", "Version"}
    params = _query_struct(form, op.input_shape, "", consumed) if op.input_shape else {}
    unknown = sorted(set(form) - consumed)
    if unknown:
        raise AwsError("ValidationException", f"unknown parameters for {action}: {unknown}")
    return op, params


def parse_json_request(model, op_name, headers, body):
    want_ct = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
    ct = (headers.get("content-type") or "").split(";")[0].strip()
    if ct != want_ct:
        raise AwsError("ValidationException", f"Content-Type must be {want_ct}, got {ct!r}")
    try:
        params = json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, ValueError) as e:
        raise AwsError("SerializationException", f"body is not JSON: {e}") from e
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "body must be a JSON object")
    op = model.operation_model(op_name)
    return op, _rename_json_in(params, op.input_shape) if op.input_shape else params


def _rename_json_in(value, shape):
    """JSON members may carry a serialised name different from the member name."""
    if shape.type_name == "structure" and isinstance(value, dict):
        by_wire = {m.serialization.get("name", n): n for n, m in shape.members.items()}
        return {by_wire.get(k, k): (_rename_json_in(v, shape.members[by_wire[k]])
                                    if k in by_wire else v) for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_rename_json_in(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _rename_json_in(v, shape.value) for k, v in value.items()}
    return value


def _match_uri(template, path, query):
    """Match a model requestUri ('/{Bucket}/{Key+}?list-type=2') against a decoded path."""
    tpath, _, tquery = template.partition("?")
    for lit in filter(None, tquery.split("&")):
        name, eq, val = lit.partition("=")
        if name not in query or (eq and query[name][0] != val):
            return None
    tsegs = tpath.strip("/").split("/") if tpath.strip("/") else []
    segs = path.strip("/").split("/") if path.strip("/") else []
    params = {}
    for i, t in enumerate(tsegs):
        if t.startswith("{") and t.endswith("+}"):
            rest = "/".join(segs[i:])
            if not rest:
                return None
            params[t[1:-2]] = rest
            return params, len(tquery.split("&")) if tquery else 0
        if i >= len(segs):
            return None
        if t.startswith("{") and t.endswith("}"):
            if not segs[i]:
                return None
            params[t[1:-1]] = segs[i]
        elif t != urllib.parse.unquote(segs[i]):
            return None
    if len(segs) != len(tsegs):
        return None
    return params, len(tquery.split("&")) if tquery else 0


def find_rest_operation(model, method, path, query, implemented):
    """Pick the implemented operation whose method/URI template matches best."""
    best = None
    for name in implemented:
        op = model.operation_model(name)
        if op.http.get("method") != method:
            continue
        m = _match_uri(op.http["requestUri"], path, query)
        if m and (best is None or m[1] > best[2]):
            best = (op, m[0], m[1])
    if best is None:
        raise AwsError("UnknownOperationException", f"no operation for {method} {path}", 404)
    return best[0], best[1]


def parse_rest_request(model, op, path_params, query, headers, body):
    shape = op.input_shape
    params = {}
    if shape is None:
        return params
    payload = shape.serialization.get("payload")
    body_members = {}
    for mname, mshape in shape.members.items():
        loc = mshape.serialization.get("location")
        wire = mshape.serialization.get("name", mname)
        if loc == "uri":
            if wire in path_params:
                params[mname] = _convert_scalar(urllib.parse.unquote(path_params[wire]), mshape, mname)
        elif loc == "querystring":
            if wire in query:
                vals = query[wire]
                if mshape.type_name == "list":
                    params[mname] = [_convert_scalar(v, mshape.member, mname) for v in vals]
                else:
                    params[mname] = _convert_scalar(vals[0], mshape, mname)
        elif loc == "header":
            v = headers.get(wire.lower())
            if v is not None:
                if mshape.type_name == "timestamp":
                    params[mname] = v
                elif mshape.type_name == "list":
                    params[mname] = [x.strip() for x in v.split(",")]
                else:
                    params[mname] = _convert_scalar(v, mshape, mname)
        elif loc == "headers":
            pref = wire.lower()
            got = {k[len(pref):]: v for k, v in headers.items() if k.startswith(pref)}
            if got:
                params[mname] = got
        elif mname == payload:
            if mshape.type_name in ("blob", "string"):
                if body:
                    params[mname] = body if mshape.type_name == "blob" else body.decode("utf-8")
            elif body.strip():
                params[mname] = _parse_body_struct(model, body, mshape)
        else:
            body_members[mname] = mshape
    if body_members and body.strip() and payload is None:
        if model.metadata["protocol"] == "rest-json":
            try:
                doc = json.loads(body.decode("utf-8"))
            except ValueError as e:
                raise AwsError("SerializationException", str(e)) from e
            for k, v in doc.items():
                if k not in shape.members or k not in body_members:
                    raise AwsError("ValidationException", f"unknown body member {k}")
                params[k] = v
    return params


def _parse_body_struct(model, body, shape):
    if model.metadata["protocol"] == "rest-json":
        return json.loads(body.decode("utf-8"))
    raise AwsError("NotImplemented", "XML request bodies are not supported by the emulator", 501)


# ---------------------------------------------------------------- responses

def _iso(ts):
    if isinstance(ts, (int, float)):
        ts = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return ts.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _epoch(ts):
    if isinstance(ts, datetime.datetime):
        return ts.timestamp()
    return float(ts)


def _to_json(value, shape):
    t = shape.type_name
    if t == "structure":
        return {shape.members[k].serialization.get("name", k): _to_json(v, shape.members[k])
                for k, v in value.items()}
    if t == "list":
        return [_to_json(v, shape.member) for v in value]
    if t == "map":
        return {k: _to_json(v, shape.value) for k, v in value.items()}
    if t == "timestamp":
        return _epoch(value)
    if t == "blob":
        return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
    return value


def _scalar_text(value, shape):
    t = shape.type_name
    if t == "boolean":
        return "true" if value else "false"
    if t == "timestamp":
        return _iso(value)
    if t == "blob":
        return base64.b64encode(value).decode()
    return str(value)


def _xml_fill(parent, name, value, shape):
    """Append `value` as XML under parent, the way botocore's XML parsers expect it."""
    t = shape.type_name
    if t == "list":
        if shape.serialization.get("flattened"):
            ename = shape.member.serialization.get("name", name)
            for v in value:
                _xml_fill(parent, ename, v, shape.member)
        else:
            node = ET.SubElement(parent, name)
            mname = shape.member.serialization.get("name", "member")
            for v in value:
                _xml_fill(node, mname, v, shape.member)
        return
    if t == "map":
        kn = shape.key.serialization.get("name", "key")
        vn = shape.value.serialization.get("name", "value")
        if shape.serialization.get("flattened"):
            for k, v in value.items():
                entry = ET.SubElement(parent, name)
                _xml_fill(entry, kn, k, shape.key)
                _xml_fill(entry, vn, v, shape.value)
        else:
            node = ET.SubElement(parent, name)
            for k, v in value.items():
                entry = ET.SubElement(node, "entry")
                _xml_fill(entry, kn, k, shape.key)
                _xml_fill(entry, vn, v, shape.value)
        return
    node = ET.SubElement(parent, name)
    if t == "structure":
        _xml_members(node, value, shape)
    else:
        node.text = _scalar_text(value, shape)


def _xml_members(node, value, shape):
    for k, v in value.items():
        m = shape.members[k]
        if m.serialization.get("location"):
            continue
        _xml_fill(node, m.serialization.get("name", k), v, m)


def _http_date(ts):
    return email.utils.formatdate(_epoch(ts), usegmt=True)


def serialize_response(model, op, output, request_id):
    """Validate `output` against the op's output shape and serialise it.

    Returns (status, headers dict, body bytes)."""
    shape = op.output_shape
    output = output or {}
    problems = validate(output, shape) if shape is not None else []
    if problems:
        raise EmulatorBug(f"{model.service_name}.{op.name} response invalid: {problems}")
    proto = model.metadata["protocol"]
    headers = {}
    status = 200
    if proto == "json":
        headers["Content-Type"] = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        headers["x-amzn-RequestId"] = request_id
        body = json.dumps(_to_json(output, shape) if shape else {}).encode()
    elif proto == "query":
        ns = model.metadata.get("xmlNamespace", f"https://{model.endpoint_prefix}.amazonaws.com/doc/{model.api_version}/")
        root = ET.Element(f"{op.name}Response", xmlns=ns)
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{op.name}Result")
            _xml_members(ET.SubElement(root, wrapper), output, shape)
        meta = ET.SubElement(root, "ResponseMetadata")
        ET.SubElement(meta, "RequestId").text = request_id
        headers["Content-Type"] = "text/xml"
        headers["x-amzn-RequestId"] = request_id
        body = ET.tostring(root, xml_declaration=True, encoding="utf-8")
    else:  # rest-json / rest-xml
        body = b""
        payload = shape.serialization.get("payload") if shape else None
        rest = {}
        for k, v in output.items():
            m = shape.members[k]
            loc = m.serialization.get("location")
            wire = m.serialization.get("name", k)
            if loc == "header":
                headers[wire] = _http_date(v) if m.type_name == "timestamp" else (
                    ("true" if v else "false") if m.type_name == "boolean" else str(v))
            elif loc == "headers":
                for hk, hv in v.items():
                    headers[wire + hk] = hv
            elif loc == "statusCode":
                status = int(v)
            elif k == payload:
                if m.type_name in ("blob", "string"):
                    body = v if isinstance(v, bytes) else v.encode()
                elif proto == "rest-json":
                    body = json.dumps(_to_json(v, m)).encode()
                else:
                    root = ET.Element(m.serialization.get("name", k))
                    _xml_members(root, v, m)
                    body = ET.tostring(root, encoding="utf-8")
            else:
                rest[k] = v
        if payload is None and shape is not None:
            if proto == "rest-json":
                body = json.dumps({shape.members[k].serialization.get("name", k): _to_json(v, shape.members[k])
                                   for k, v in rest.items()}).encode()
                headers["Content-Type"] = "application/json"
            else:
                root = ET.Element(_XML_ROOTS.get(op.name, op.name + "Result"),
                                  xmlns="http://s3.amazonaws.com/doc/2006-03-01/")
                _xml_members(root, rest, shape)
                body = ET.tostring(root, xml_declaration=True, encoding="utf-8")
                headers["Content-Type"] = "application/xml"
        if proto == "rest-xml":
            headers["x-amz-request-id"] = request_id
        else:
            headers["x-amzn-RequestId"] = request_id
    _check_parse_back(model, op, status, headers, body, output)
    return status, headers, body


_XML_ROOTS = {"ListObjectsV2": "ListBucketResult"}


def _check_parse_back(model, op, status, headers, body, output):
    """Parse our response with botocore's own parser; every member we meant to send must survive."""
    if op.output_shape is None:
        return
    parser = botocore.parsers.create_parser(model.metadata["protocol"])
    parsed = parser.parse({"status_code": status, "headers": HeadersDict(headers), "body": body},
                          op.output_shape)
    if "Error" in parsed and parsed["Error"].get("Code"):
        raise EmulatorBug(f"{op.name}: botocore parses our response as error {parsed['Error']}")
    # Empty lists/maps legitimately vanish in XML; anything else must come back.
    lost = [k for k, v in output.items() if k not in parsed and v not in ([], {})]
    if lost:
        raise EmulatorBug(f"{op.name}: members lost when botocore parses the response: {lost}")


def serialize_error(model, err, request_id):
    """Error in the protocol's shape; returns (status, headers, body)."""
    proto = model.metadata["protocol"] if model is not None else "json"
    headers = dict(err.headers)
    if proto == "json":
        headers["Content-Type"] = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0') if model else '1.1'}"
        headers["x-amzn-RequestId"] = request_id
        body = json.dumps({"__type": err.code, "message": err.message}).encode()
    elif proto == "rest-json":
        headers["Content-Type"] = "application/json"
        headers["X-Amzn-ErrorType"] = err.code
        headers["x-amzn-RequestId"] = request_id
        body = json.dumps({"Type": "User" if err.sender else "Service", "message": err.message}).encode()
    elif proto == "query":
        root = ET.Element("ErrorResponse",
                          xmlns=f"https://{model.endpoint_prefix}.amazonaws.com/doc/{model.api_version}/")
        e = ET.SubElement(root, "Error")
        ET.SubElement(e, "Type").text = "Sender" if err.sender else "Receiver"
        ET.SubElement(e, "Code").text = err.code
        ET.SubElement(e, "Message").text = err.message
        ET.SubElement(root, "RequestId").text = request_id
        headers["Content-Type"] = "text/xml"
        headers["x-amzn-RequestId"] = request_id
        body = ET.tostring(root, xml_declaration=True, encoding="utf-8")
    else:
        root = ET.Element("Error")
        ET.SubElement(root, "Code").text = err.code
        ET.SubElement(root, "Message").text = err.message
        ET.SubElement(root, "RequestId").text = request_id
        ET.SubElement(root, "HostId").text = request_id
        headers["Content-Type"] = "application/xml"
        headers["x-amz-request-id"] = request_id
        body = ET.tostring(root, xml_declaration=True, encoding="utf-8")
    if model is not None:
        parser = botocore.parsers.create_parser(proto)
        parsed = parser.parse({"status_code": err.status, "headers": HeadersDict(headers), "body": body}, None)
        if parsed.get("Error", {}).get("Code") != err.code:
            raise EmulatorBug(f"error {err.code} parses back as {parsed.get('Error')}")
    return err.status, headers, body


def new_request_id():
    return str(uuid.uuid4())
