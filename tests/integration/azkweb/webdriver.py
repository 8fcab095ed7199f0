"""Drives executors the way the Azkaban 3.81 web server does (wire spec 2.1-2.4, 4.4, 6, 7.4).

DB side: project upload, submission, dispatch bookkeeping, finalisation, reading what the
executor wrote. HTTP side: ExecutorApiGateway's form encoding and strict error rule, and an
Updater that polls `update` like RunningExecutionsUpdater.
"""

import copy
import gzip
import hashlib
import http.client
import json
import os
import threading
import time
import urllib.parse

from . import flowdata, projects
from .flowdata import STATUS_CODES, WEB_FINISHED, WEB_FINISHED_CODES

CHUNK_SIZE = 10 * 1024 * 1024  # project_files chunk (4.3)
LOG_WINDOW = 50000  # the web UI's log window (1.4 `log`)


def now_ms():
    return int(time.time() * 1000)


class ExecutorCallError(Exception):
    """A call the web would treat as failed (2.1 failure detection)."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


class Executor:
    """An `executors` row as the web caches it."""

    def __init__(self, executor_id, host, port, active=True):
        self.id = executor_id
        self.host = host
        self.port = port
        self.active = bool(active)

    def __repr__(self):
        return "Executor(id=%s, %s:%s, active=%s)" % (self.id, self.host, self.port, self.active)


# -- HTTP ----------------------------------------------------------------------------------
def encode_form(params):
    """URLEncodedUtils.format over an ordered list; a None value is written as the bare name."""
    parts = []
    for name, value in params:
        if value is None:
            parts.append(urllib.parse.quote_plus(name))
        else:
            parts.append(urllib.parse.quote_plus(name) + "=" + urllib.parse.quote_plus(str(value)))
    return "&".join(parts)


def post(host, port, path, params, timeout=60.0):
    """One POST on a fresh connection (the web's client is created per call).

    Returns (status, headers, body bytes). The web has no read timeout; a bounded one
    keeps a hung executor from hanging the test run instead.
    """
    body = encode_form(params).encode("utf-8") if params else None
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def parse_reply(status, headers, body):
    """The strict rule of 2.1: >= 300, bad JSON or a string `error` is a failure."""
    if status >= 300:
        raise ExecutorCallError("HTTP status %d" % status, status, body)
    charset = "iso-8859-1"
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    for part in ctype.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "charset" and v:
            charset = v.strip('"')
    try:
        reply = json.loads(body.decode(charset))
    except (ValueError, LookupError) as e:
        raise ExecutorCallError("unparseable reply: %s" % e, status, body) from None
    if isinstance(reply, dict) and isinstance(reply.get("error"), str):
        raise ExecutorCallError(reply["error"], status, body)
    return reply


def call_executor(executor, action, exec_id=None, user=None, params=(), timeout=60.0):
    """ExecutorApiGateway.callWithExecutionId: call-specific params, action, execid, user."""
    plist = list(params) + [("action", action),
                            ("execid", "null" if exec_id is None else str(exec_id)),
                            ("user", user)]
    return parse_reply(*post(executor.host, executor.port, "/executor", plist, timeout))


# -- the web ---------------------------------------------------------------------------------
class WebDriver:
    def __init__(self, db):
        """`db` is a mariadb.MariaDB (anything with connect())."""
        self.db = db
        self._conn = None

    # connection handling: one autocommit connection, re-opened after a DB restart
    def conn(self):
        if self._conn is not None:
            try:
                self._conn.ping(reconnect=False)
                return self._conn
            except Exception:  # noqa: BLE001 - any failure means: reconnect
                self.close()
        self._conn = self.db.connect()
        return self._conn

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None

    def query(self, sql, args=None):
        with self.conn().cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def execute(self, sql, args=None):
        with self.conn().cursor() as cur:
            return cur.execute(sql, args)

    # -- projects (6, 4.3) -----------------------------------------------------------------
    def upload_project(self, name, project, uploader="azkaban"):
        """Store a project directory or .zip as the web's DATABASE storage does.

        Returns (project_id, version). Flow 2.0 `.flow` files also go to project_flow_files.
        """
        if os.path.isdir(project):
            archive = projects.zip_directory(project)
            parsed = projects.load_project(project)
        else:
            with open(project, "rb") as f:
                archive = f.read()
            parsed = projects.load_archive(archive)
        now = now_ms()
        rows = self.query("SELECT id FROM projects WHERE name=%s AND active=1", (name,))
        if rows:
            project_id = rows[0][0]
        else:
            self.execute(
                "INSERT INTO projects (name, active, modified_time, create_time, version, "
                "last_modified_by, description, enc_type, settings_blob) "
                "VALUES (%s, 1, %s, %s, NULL, %s, %s, 2, NULL)",
                (name, now, now, uploader, "test project " + name))
            project_id = self.query("SELECT LAST_INSERT_ID()")[0][0]
        version = (self.query("SELECT MAX(version) FROM project_versions WHERE project_id=%s",
                              (project_id,))[0][0] or 0) + 1
        chunks = [archive[i:i + CHUNK_SIZE] for i in range(0, len(archive), CHUNK_SIZE)] or [b""]
        # Like JdbcProjectImpl: version row with 0 chunks, the chunks, then the chunk count.
        self.execute(
            "INSERT INTO project_versions (project_id, version, upload_time, uploader, file_type, "
            "file_name, md5, num_chunks, resource_id, startup_dependencies) "
            "VALUES (%s, %s, %s, %s, 'zip', %s, %s, 0, NULL, NULL)",
            (project_id, version, now, uploader, name + ".zip", hashlib.md5(archive).digest()))
        for i, chunk in enumerate(chunks):
            self.execute("INSERT INTO project_files (project_id, version, chunk, size, file) "
                         "VALUES (%s, %s, %s, %s, %s)", (project_id, version, i, len(chunk), chunk))
        self.execute("UPDATE project_versions SET num_chunks=%s WHERE project_id=%s AND version=%s",
                     (len(chunks), project_id, version))
        if parsed is not None and parsed.flow_version == 2.0:
            for fname, data in parsed.flow_files:
                self.execute(
                    "INSERT INTO project_flow_files (project_id, project_version, flow_name, "
                    "flow_version, modified_time, flow_file) VALUES (%s, %s, %s, 1, %s, %s)",
                    (project_id, version, fname, now, data))
        self.execute("UPDATE projects SET version=%s, modified_time=%s, last_modified_by=%s "
                     "WHERE id=%s", (version, now, uploader, project_id))
        return project_id, version

    def set_job_override(self, project_id, version, job_id, props):
        """A UI job-property override (`<jobId>.jor` row, 6.4)."""
        self.execute(
            "REPLACE INTO project_properties (project_id, version, name, modified_time, "
            "encoding_type, property) VALUES (%s, %s, %s, %s, 2, %s)",
            (project_id, version, job_id + ".jor", now_ms(), flowdata.encode_json_gzip(props)))

    def project_version_row(self, project_id, version):
        rows = self.query("SELECT file_type, file_name, md5, num_chunks, uploader FROM "
                          "project_versions WHERE project_id=%s AND version=%s",
                          (project_id, version))
        return rows[0] if rows else None

    def project_archive(self, project_id, version):
        rows = self.query("SELECT chunk, size, file FROM project_files WHERE project_id=%s AND "
                          "version=%s ORDER BY chunk", (project_id, version))
        return rows

    def build_flow_data(self, project_dir, flow_name, project_id, project_name, version,
                        submit_user="azkaban", **options):
        parsed = projects.load_project(project_dir)
        now = now_ms()
        return flowdata.build_flow_data(parsed, flow_name, project_id, project_name, version,
                                        submit_user=submit_user, submit_time=now,
                                        last_modified_time=now, **options)

    # -- submission (2.3.2, 4.4) -----------------------------------------------------------
    def submit(self, flow, push=True):
        """Insert the execution row as the web does; returns the exec id.

        `flow` is modified in place (executionId, submitTime), like the web's object.
        """
        params = flow["executionOptions"].get("flowParameters", {})
        use_executor = int(params["useExecutor"]) if "useExecutor" in params else None
        priority = int(params.get("flowPriority", 5))
        flow["submitTime"] = flow.get("submitTime") or now_ms()
        conn = self.conn()
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO execution_flows (project_id, flow_id, version, status, submit_time, "
                "submit_user, update_time, use_executor, flow_priority) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (flow["projectId"], flow["flowId"], flow["version"], STATUS_CODES["PREPARING"],
                 flow["submitTime"], flow["submitUser"], now_ms(), use_executor, priority))
            cur.execute("SELECT LAST_INSERT_ID()")  # same connection, as the web does
            exec_id = cur.fetchone()[0]
        flow["executionId"] = exec_id
        self.write_flow(flow)
        if push:
            self.execute("INSERT INTO active_executing_flows (exec_id, update_time) "
                         "VALUES (%s, %s)", (exec_id, now_ms()))
        return exec_id

    def write_flow(self, flow):
        """The F2-shaped update the web uses (submission, finalisation)."""
        self.execute(
            "UPDATE execution_flows SET status=%s, update_time=%s, start_time=%s, end_time=%s, "
            "enc_type=%s, flow_data=%s WHERE exec_id=%s",
            (STATUS_CODES[flow["status"]], flow["updateTime"], flow["startTime"], flow["endTime"],
             flowdata.ENC_GZIP, flowdata.encode_json_gzip(flow), flow["executionId"]))

    # -- executors (2.3.1) -----------------------------------------------------------------
    def active_executors(self):
        return [Executor(*r) for r in
                self.query("SELECT id, host, port, active FROM executors WHERE active=true")]

    def executor_by_id(self, executor_id):
        rows = self.query("SELECT id, host, port, active FROM executors WHERE id=%s",
                          (executor_id,))
        return Executor(*rows[0]) if rows else None

    def executor_rows(self):
        return self.query("SELECT id, host, port, active FROM executors ORDER BY id")

    # -- push dispatch -----------------------------------------------------------------------
    def dispatch(self, exec_id, executor):
        """executor_id := id, POST execute; on any failure executor_id := NULL and re-raise."""
        self.execute("UPDATE execution_flows SET executor_id=%s WHERE exec_id=%s",
                     (executor.id, exec_id))
        try:
            return call_executor(executor, "execute", exec_id)
        except (ExecutorCallError, OSError):
            self.execute("UPDATE execution_flows SET executor_id=NULL WHERE exec_id=%s", (exec_id,))
            raise

    def call(self, executor, action, exec_id=None, user=None, **params):
        return call_executor(executor, action, exec_id, user, list(params.items()))

    def update(self, executor, exec_ids, update_times):
        reply = call_executor(executor, "update", None, None, [
            ("executionId", json.dumps(list(exec_ids), separators=(",", ":"))),
            ("updatetime", json.dumps(list(update_times), separators=(",", ":")))])
        if not isinstance(reply, dict) or not isinstance(reply.get("updated"), list):
            raise ExecutorCallError("update reply has no `updated` array: %r" % (reply,))
        return reply["updated"]

    def cancel(self, executor, exec_id, user="azkaban"):
        return call_executor(executor, "cancel", exec_id, user)

    def pause(self, executor, exec_id, user="azkaban"):
        return call_executor(executor, "pause", exec_id, user)

    def resume(self, executor, exec_id, user="azkaban"):
        return call_executor(executor, "resume", exec_id, user)

    def retry_failures(self, executor, exec_id, user="azkaban"):
        return call_executor(executor, "modifyExecution", exec_id, user,
                             [("modifyType", "retryFailures")])

    def log(self, executor, exec_id, log_type="flow", offset=0, length=LOG_WINDOW, job_id=None,
            attempt=0):
        """One `log` call, parameters in the web's order (type, jobId, offset, length, attempt)."""
        if log_type == "flow":
            params = [("type", "flow"), ("offset", offset), ("length", length)]
        else:
            params = [("type", "job"), ("jobId", job_id), ("offset", offset), ("length", length),
                      ("attempt", attempt)]
        reply = call_executor(executor, "log", exec_id, None, params)
        for key in ("offset", "length"):
            if not isinstance(reply.get(key), int):
                raise ExecutorCallError("log reply %s is not an integer: %r" % (key, reply))
        return reply

    def read_log(self, executor, exec_id, job_id=None, attempt=0, max_windows=10000):
        """The whole current log through `log`, window by window as the UI does."""
        offset, text = 0, []
        for _ in range(max_windows):
            reply = self.log(executor, exec_id, "job" if job_id else "flow", offset, LOG_WINDOW,
                             job_id, attempt)
            if reply["length"] == 0:
                return "".join(text)
            text.append(reply["data"])
            offset = reply["offset"] + reply["length"]
        raise ExecutorCallError("log did not end after %d windows" % max_windows)

    def attachments(self, executor, exec_id, job_id, attempt=0):
        return call_executor(executor, "attachments", exec_id, None,
                             [("jobId", job_id), ("attempt", attempt)])

    # -- reading what the executor wrote -----------------------------------------------------
    def execution_row(self, exec_id):
        """execution_flows row as a dict with flow_data decoded (None if no row)."""
        rows = self.query(
            "SELECT exec_id, project_id, version, flow_id, status, submit_user, submit_time, "
            "update_time, start_time, end_time, enc_type, flow_data, executor_id, use_executor, "
            "flow_priority FROM execution_flows WHERE exec_id=%s", (exec_id,))
        if not rows:
            return None
        keys = ("exec_id", "project_id", "version", "flow_id", "status", "submit_user",
                "submit_time", "update_time", "start_time", "end_time", "enc_type", "flow_data",
                "executor_id", "use_executor", "flow_priority")
        row = dict(zip(keys, rows[0]))
        row["flow_data_raw"] = flowdata.decode_blob(row["flow_data"], row["enc_type"])
        raw = row["flow_data_raw"]
        row["flow_data"] = None if raw is None else json.loads(raw)
        return row

    def job_rows(self, exec_id):
        """execution_jobs rows (dicts), gzip columns decoded to JSON / text."""
        rows = self.query(
            "SELECT exec_id, project_id, version, flow_id, job_id, attempt, start_time, end_time, "
            "status, input_params, output_params, attachments FROM execution_jobs "
            "WHERE exec_id=%s ORDER BY start_time, job_id, attempt", (exec_id,))
        out = []
        for r in rows:
            out.append({
                "exec_id": r[0], "project_id": r[1], "version": r[2], "flow_id": r[3],
                "job_id": r[4], "attempt": r[5], "start_time": r[6], "end_time": r[7],
                "status": r[8],
                "input_params": flowdata.decode_json_blob(r[9]),
                "output_params": flowdata.decode_json_blob(r[10]),
                "attachments": flowdata.decode_blob(r[11]),
            })
        return out

    def log_rows(self, exec_id, name=None, attempt=None):
        sql = ("SELECT name, attempt, enc_type, start_byte, end_byte, log, upload_time "
               "FROM execution_logs WHERE exec_id=%s")
        args = [exec_id]
        if name is not None:
            sql += " AND name=%s AND attempt=%s"
            args += [name, attempt or 0]
        return self.query(sql + " ORDER BY name, attempt, start_byte", args)

    def logs_from_db(self, exec_id, name="", attempt=0, offset=0, length=None):
        """The web's read of uploaded logs (7.4): rows overlapping the window, cut, joined.

        Without `length` the whole log is read window by window (50,000 bytes).
        """
        if length is not None:
            return self._db_log_window(exec_id, name, attempt, offset, length)
        text = []
        for _ in range(100000):
            reply = self._db_log_window(exec_id, name, attempt, offset, LOG_WINDOW)
            if reply["length"] == 0:
                return "".join(text)
            text.append(reply["data"])
            offset = reply["offset"] + reply["length"]
        raise RuntimeError("log read did not terminate")

    def _db_log_window(self, exec_id, name, attempt, offset, length):
        rows = self.query(
            "SELECT exec_id, name, attempt, enc_type, start_byte, end_byte, log "
            "FROM execution_logs WHERE exec_id=%s AND name=%s AND attempt=%s "
            "AND end_byte > %s AND start_byte <= %s ORDER BY start_byte", (exec_id, name, attempt, offset, offset + length))
        buf = bytearray()
        start = None
        for _, _, _, enc, sb, eb, blob in rows:
            data = bytes(blob)
            if enc == flowdata.ENC_GZIP:
                data = gzip.decompress(data)
            if len(data) != eb - sb:
                raise AssertionError("execution_logs chunk %d-%d holds %d bytes"
                                     % (sb, eb, len(data)))
            lo = max(offset, sb) - sb
            hi = min(offset + length, eb) - sb
            if start is None:
                start = sb + lo
            buf += data[lo:hi]
        if start is None or not buf:
            return {"offset": offset, "length": 0, "data": ""}
        lead, kept = utf8_trim(bytes(buf))
        return {"offset": start + lead, "length": len(kept), "data": kept.decode("utf-8")}

    # -- finalisation (2.3.5) ----------------------------------------------------------------
    def finalize(self, exec_id, web_copy=None):
        """ExecutionFinalizer: fail an unfinished execution, drop it from the running set."""
        flow = web_copy
        if flow is None or flow["status"] not in WEB_FINISHED:
            row = self.execution_row(exec_id)
            flow = row["flow_data"] if row else None
            if flow is not None and flow["status"] not in WEB_FINISHED:
                now = now_ms()
                for node in flow.get("nodes", []):
                    if node["status"] in ("SUCCEEDED", "FAILED", "KILLED", "SKIPPED", "DISABLED"):
                        continue
                    node["status"] = "KILLING" if node["status"] == "READY" else "FAILED"
                    if node["startTime"] == -1:
                        node["startTime"] = now
                    if node["endTime"] == -1:
                        node["endTime"] = now
                flow["status"] = "FAILED"
                flow["endTime"] = now
                flow["updateTime"] = now
                self.write_flow(flow)
        self.execute("DELETE FROM active_executing_flows WHERE exec_id=%s", (exec_id,))
        return flow

    # -- waiting ---------------------------------------------------------------------------
    def wait_row(self, exec_id, predicate, timeout=60.0, interval=0.2, what="condition"):
        deadline = time.monotonic() + timeout
        row = None
        while time.monotonic() < deadline:
            try:
                row = self.execution_row(exec_id)
            except Exception:  # noqa: BLE001 - a restarting DB is expected in some tests
                self.close()
                row = None
            if row is not None and predicate(row):
                return row
            time.sleep(interval)
        raise TimeoutError("execution %s: %s not reached in %.0f s (last row status %s)"
                           % (exec_id, what, timeout, row and row["status"]))

    def wait_finished(self, exec_id, timeout=120.0):
        """Poll mode: the row reaches SUCCEEDED / FAILED / KILLED."""
        return self.wait_row(exec_id, lambda r: r["status"] in WEB_FINISHED_CODES, timeout,
                             what="finished status")

    def wait_claimed(self, exec_id, timeout=60.0):
        """Poll mode: an executor claimed the row; returns its executor_id."""
        return self.wait_row(exec_id, lambda r: r["executor_id"] is not None, timeout,
                             what="claim")["executor_id"]

    def wait_node_status(self, exec_id, nested_id, statuses, timeout=60.0):
        def check(row):
            fd = row["flow_data"]
            if fd is None:
                return False
            try:
                return flowdata.find_node(fd, nested_id)["status"] in statuses
            except StopIteration:
                return False
        return self.wait_row(exec_id, check, timeout, what="%s in %s" % (nested_id, statuses))


def utf8_trim(data):
    """Drop up to 5 leading continuation bytes and a trailing incomplete sequence (1.4)."""
    lead = 0
    while lead < min(5, len(data)) and (data[lead] & 0xC0) == 0x80:
        lead += 1
    body = data[lead:]
    # Walk back to the last lead byte; keep it only if its sequence is complete.
    i = len(body) - 1
    back = 0
    while i >= 0 and back < 4 and (body[i] & 0xC0) == 0x80:
        i -= 1
        back += 1
    if i >= 0 and body[i] >= 0xC0:
        need = 2 if body[i] < 0xE0 else 3 if body[i] < 0xF0 else 4
        if len(body) - i < need:
            body = body[:i]
    return lead, body


class Updater:
    """RunningExecutionsUpdater: the web's in-memory running map, kept current by `update`.

    Every problem the real web would choke on (an unknown node id in a delta, a
    non-numeric status, a missing executionId) is recorded in `protocol_errors`, so tests
    can assert there were none. It can run in a background thread like the web's updater;
    give it its own WebDriver then (a DB connection is not shared between threads).
    """

    def __init__(self, web):
        self.web = web
        self.running = {}  # exec id -> (Executor, flow dict)
        self.finalized = {}  # exec id -> (reason, final flow dict)
        self.protocol_errors = []
        self.call_errors = []
        self.first_failure = set()  # exec ids seen in FAILED_FINISHING
        self.seen_statuses = {}  # exec id -> root statuses in the order observed
        self._unfinalized = {}  # exec id -> reason, finalisation to retry (DB was away)
        self._lock = threading.RLock()
        self._thread = None
        self._stop = threading.Event()

    def track(self, exec_id, executor, flow):
        with self._lock:
            self.running[exec_id] = (executor, copy.deepcopy(flow))
            self.seen_statuses[exec_id] = [flow["status"]]

    def web_copy(self, exec_id):
        with self._lock:
            if exec_id in self.running:
                return copy.deepcopy(self.running[exec_id][1])
            return copy.deepcopy(self.finalized[exec_id][1])

    def poll_once(self):
        with self._lock:
            for exec_id, reason in list(self._unfinalized.items()):
                self._finalize(exec_id, reason)
            by_executor = {}
            for exec_id, (executor, _) in self.running.items():
                if exec_id in self._unfinalized:
                    continue
                key = (executor.id, executor.host, executor.port)
                by_executor.setdefault(key, (executor, []))[1].append(exec_id)
            for executor, ids in by_executor.values():
                times = [self.running[i][1]["updateTime"] for i in ids]
                try:
                    updated = self.web.update(executor, ids, times)
                except (ExecutorCallError, OSError) as e:
                    self.call_errors.append((executor.id, str(e)))
                    if self._executor_row_gone(executor.id):
                        for i in ids:
                            self._finalize(i, "executor row gone")
                    continue
                for entry in updated:
                    self._apply(entry)

    def _executor_row_gone(self, executor_id):
        try:
            return self.web.executor_by_id(executor_id) is None
        except Exception as e:  # noqa: BLE001 - DB away: the web logs it and retries later
            self.web.close()
            self.call_errors.append((executor_id, "executor lookup: %s" % e))
            return False

    def _apply(self, entry):
        exec_id = entry.get("executionId")
        if not isinstance(exec_id, int) or exec_id not in self.running:
            self.protocol_errors.append("update entry with bad executionId: %r" % (entry,))
            return
        if "error" in entry:
            self._finalize(exec_id, "error: %s" % entry["error"])
            return
        flow = self.running[exec_id][1]
        try:
            flowdata.apply_delta(flow, entry)
        except flowdata.DeltaError as e:
            self.protocol_errors.append("exec %d: %s" % (exec_id, e))
            return
        if self.seen_statuses[exec_id][-1] != flow["status"]:
            self.seen_statuses[exec_id].append(flow["status"])
        if flow["status"] == "FAILED_FINISHING":
            self.first_failure.add(exec_id)
        if flow["status"] in WEB_FINISHED:
            self._finalize(exec_id, "finished")

    def _finalize(self, exec_id, reason):
        flow = self.running[exec_id][1]
        try:
            final = self.web.finalize(exec_id, flow)
        except Exception as e:  # noqa: BLE001 - DB away: keep it, try again next round
            self.web.close()
            self.call_errors.append((exec_id, "finalize: %s" % e))
            self._unfinalized[exec_id] = reason
            return
        self._unfinalized.pop(exec_id, None)
        del self.running[exec_id]
        self.finalized[exec_id] = (reason, final)

    # -- background operation --------------------------------------------------------------
    def start(self, interval=0.5):
        """Poll every `interval` s (the web: 0.5 s while executions run) until stop()."""
        def loop():
            while not self._stop.wait(interval):
                try:
                    self.poll_once()
                except Exception as e:  # noqa: BLE001 - keep polling like the web's thread
                    self.call_errors.append((None, repr(e)))
        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="updater", daemon=True)
        self._thread.start()

    def stop(self):
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=120)
            self._thread = None
        self.web.close()

    def wait_done(self, exec_ids, timeout=120.0):
        """Wait (background mode) until the executions are finalised; returns their entries."""
        deadline = time.monotonic() + timeout
        wanted = set(exec_ids)
        while True:
            with self._lock:
                left = wanted - set(self.finalized)
                if not left:
                    return {i: self.finalized[i] for i in wanted}
            if time.monotonic() > deadline:
                raise TimeoutError("executions %s not finalised after %.0f s (seen: %s)"
                                   % (sorted(left), timeout,
                                      {i: self.seen_statuses.get(i) for i in left}))
            time.sleep(0.1)

    def run_until_done(self, exec_ids=None, timeout=120.0, interval=0.5):
        """Foreground polling until the executions (default: all tracked) are finalised."""
        wanted = set(self.running) if exec_ids is None else set(exec_ids)
        deadline = time.monotonic() + timeout
        while wanted & set(self.running):
            if time.monotonic() > deadline:
                raise TimeoutError("executions %s still running after %.0f s"
                                   % (sorted(wanted & set(self.running)), timeout))
            self.poll_once()
            if wanted & set(self.running):
                time.sleep(interval)
        return {i: self.finalized[i] for i in wanted}
