"""CloudWatch Logs: log groups/streams in memory, GetLogEvents with forward/backward tokens.

Token semantics follow the service: tokens are positions in the stream ('f/<n>' forward,
'b/<n>' backward); reading forward at the end returns the very token that was sent, which
is how readers know they are caught up.
"""

import threading

from .protocol import AwsError
from .service import Service, ms_now

_MAX_PAGE_BYTES = 1_048_576


class LogStore:
    def __init__(self, ingest_delay_ms=0):
        self._lock = threading.Lock()
        self.groups = {}  # name -> {"created": ms, "streams": {name: stream}}
        self.ingest_delay_ms = ingest_delay_ms

    def create_group(self, group, exist_ok=True):
        with self._lock:
            if group in self.groups:
                if not exist_ok:
                    raise AwsError("ResourceAlreadyExistsException", "The specified log group already exists")
                return
            self.groups[group] = {"created": ms_now(), "streams": {}}

    def create_stream(self, group, stream, exist_ok=True):
        with self._lock:
            g = self.groups.get(group)
            if g is None:
                raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
            if stream in g["streams"]:
                if not exist_ok:
                    raise AwsError("ResourceAlreadyExistsException", "The specified log stream already exists")
                return
            g["streams"][stream] = {"created": ms_now(), "events": []}

    def put(self, group, stream, message, timestamp=None):
        """Append one event (used by the EMR step runner and PutLogEvents)."""
        now = ms_now()
        with self._lock:
            s = self.groups[group]["streams"][stream]
            s["events"].append({"timestamp": int(timestamp if timestamp is not None else now),
                                "message": message,
                                "ingestionTime": now + self.ingest_delay_ms})

    def _stream(self, group, stream):
        g = self.groups.get(group)
        if g is None:
            raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
        s = g["streams"].get(stream)
        if s is None:
            raise AwsError("ResourceNotFoundException", "The specified log stream does not exist.")
        return s

    def visible(self, events):
        """Events whose (simulated) ingestion has happened; ingestion is in order."""
        now = ms_now()
        n = 0
        for e in events:
            if e["ingestionTime"] > now:
                break
            n += 1
        return events[:n]

    def stream_events(self, group, stream):
        with self._lock:
            return list(self.visible(self._stream(group, stream)["events"]))


def _parse_token(tok, n):
    try:
        direction, pos = tok.split("/", 1)
        pos = int(pos)
    except ValueError:
        raise AwsError("InvalidParameterException", "The specified nextToken is invalid.") from None
    if direction not in ("f", "b") or pos < 0 or pos > n:
        raise AwsError("InvalidParameterException", "The specified nextToken is invalid.")
    return direction, pos


def _tok(direction, pos):
    return f"{direction}/{pos:056d}"


class LogsService(Service):
    name = "logs"

    def __init__(self, emu, store):
        super().__init__(emu)
        self.store = store

    def _group_name(self, p):
        name = p.get("logGroupName") or p.get("logGroupIdentifier")
        if not name:
            raise AwsError("InvalidParameterException", "logGroupName is required")
        return name.split(":log-group:")[-1].removesuffix(":*")

    def op_CreateLogGroup(self, p, ctx):
        self.store.create_group(p["logGroupName"], exist_ok=False)
        return {}

    def op_CreateLogStream(self, p, ctx):
        self.store.create_stream(p["logGroupName"], p["logStreamName"], exist_ok=False)
        return {}

    def op_PutLogEvents(self, p, ctx):
        self.store._stream(p["logGroupName"], p["logStreamName"])
        for e in p["logEvents"]:
            self.store.put(p["logGroupName"], p["logStreamName"], e["message"], e["timestamp"])
        return {}

    def op_GetLogEvents(self, p, ctx):
        events = self.store.stream_events(self._group_name(p), p["logStreamName"])
        n = len(events)
        limit = min(p.get("limit", 10000), 10000)
        start_t, end_t = p.get("startTime"), p.get("endTime")

        def ok(e):
            return (start_t is None or e["timestamp"] >= start_t) and (end_t is None or e["timestamp"] < end_t)

        token = p.get("nextToken")
        if token:
            direction, pos = _parse_token(token, n)
        else:
            direction, pos = ("f", 0) if p.get("startFromHead") else ("b", n)
        picked = []
        size = 0
        if direction == "f":
            i = pos
            while i < n and len(picked) < limit:
                e = events[i]
                size += len(e["message"].encode()) + 26
                if size > _MAX_PAGE_BYTES and picked:
                    break
                if ok(e):
                    picked.append(e)
                i += 1
            first, end = pos, i
            forward = token if (token and end == pos) else _tok("f", end)
        else:
            i = pos
            while i > 0 and len(picked) < limit:
                e = events[i - 1]
                size += len(e["message"].encode()) + 26
                if size > _MAX_PAGE_BYTES and picked:
                    break
                if ok(e):
                    picked.insert(0, e)
                i -= 1
            first, end = i, pos
            forward = _tok("f", end)
        return {"events": [dict(e) for e in picked],
                "nextForwardToken": forward,
                "nextBackwardToken": _tok("b", first)}

    def op_DescribeLogStreams(self, p, ctx):
        group = self._group_name(p)
        with self.store._lock:
            g = self.store.groups.get(group)
            if g is None:
                raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
            rows = []
            for name, s in g["streams"].items():
                ev = self.store.visible(s["events"])
                row = {"logStreamName": name, "creationTime": s["created"],
                       "arn": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{group}:log-stream:{name}",
                       "storedBytes": 0}
                if ev:
                    row.update(firstEventTimestamp=ev[0]["timestamp"], lastEventTimestamp=ev[-1]["timestamp"],
                               lastIngestionTime=ev[-1]["ingestionTime"])
                rows.append(row)
        prefix = p.get("logStreamNamePrefix")
        order = p.get("orderBy", "LogStreamName")
        if prefix and order != "LogStreamName":
            raise AwsError("InvalidParameterException",
                           "Cannot order by LastEventTime with a logStreamNamePrefix.")
        if prefix:
            rows = [r for r in rows if r["logStreamName"].startswith(prefix)]
        key = (lambda r: r["logStreamName"]) if order == "LogStreamName" else \
            (lambda r: r.get("lastEventTimestamp", 0))
        rows.sort(key=key, reverse=bool(p.get("descending")))
        return self.page(rows, p.get("nextToken"), min(p.get("limit", 50), 50),
                         "logStreams", "nextToken", "nextToken")

    def op_FilterLogEvents(self, p, ctx):
        group = self._group_name(p)
        with self.store._lock:
            g = self.store.groups.get(group)
            if g is None:
                raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
            names = p.get("logStreamNames")
            prefix = p.get("logStreamNamePrefix")
            if names and prefix:
                raise AwsError("InvalidParameterException",
                               "logStreamNames and logStreamNamePrefix are mutually exclusive")
            rows = []
            for name, s in g["streams"].items():
                if names and name not in names:
                    continue
                if prefix and not name.startswith(prefix):
                    continue
                for i, e in enumerate(self.store.visible(s["events"])):
                    rows.append({"logStreamName": name, "timestamp": e["timestamp"], "message": e["message"],
                                 "ingestionTime": e["ingestionTime"], "eventId": f"{name}/{i:012d}"})
        terms = _filter_terms(p.get("filterPattern") or "")
        st, et = p.get("startTime"), p.get("endTime")
        rows = [r for r in rows if (st is None or r["timestamp"] >= st) and (et is None or r["timestamp"] <= et)
                and all(t in r["message"] for t in terms)]
        rows.sort(key=lambda r: (r["timestamp"], r["eventId"]))
        out = self.page(rows, p.get("nextToken"), min(p.get("limit", 10000), 10000),
                        "events", "nextToken", "nextToken")
        return out


def _filter_terms(pattern):
    """Tiny subset of the filter syntax: space separated terms and "quoted phrases", all must match."""
    terms, cur, quoted = [], "", False
    for ch in pattern:
        if ch == '"':
            quoted = not quoted
            if not quoted and cur:
                terms.append(cur)
                cur = ""
        elif ch == " " and not quoted:
            if cur:
                terms.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        terms.append(cur)
    return terms

