"""Runs the C++ executor (`azkaban-executor serve --conf <dir>`) as a child process."""

import glob
import os
import re
import signal
import subprocess
import time
import unittest

from . import paths
from .procutil import die_with_parent
from .webdriver import Executor, call_executor

BIN_ENV = "AZX_EXECUTOR_BIN"


def find_executor_binary():
    explicit = os.environ.get(BIN_ENV)
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    # Build trees next to the sources or next to the checkout; newest binary wins.
    candidates = []
    for base in (paths.REPO_ROOT, os.path.dirname(paths.REPO_ROOT)):
        candidates += glob.glob(os.path.join(base, "build*", "src", "cli", "azkaban-executor"))
    candidates = [c for c in candidates if os.access(c, os.X_OK)]
    return max(candidates, key=os.path.getmtime) if candidates else None


def serve_missing_reason(binary):
    """None when `binary` has a `serve` subcommand, else why the tests must skip."""
    if binary is None:
        return ("azkaban-executor binary not found (set %s or build into build*/)" % BIN_ENV)
    try:
        out = subprocess.run([binary, "--help"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "cannot run %s --help: %s" % (binary, e)
    # CLI11 lists subcommands as indented "name   description" lines.
    if not re.search(rb"^\s+serve\b", out.stdout, re.MULTILINE):
        return "%s has no `serve` subcommand yet; executor end-to-end tests skipped" % binary
    return None


def require_serve():
    binary = find_executor_binary()
    reason = serve_missing_reason(binary)
    if reason:
        raise unittest.SkipTest(reason)
    return binary


def write_properties(path, props):
    """Java .properties text; values here are plain ASCII, only '\\' needs escaping."""
    with open(path, "w", encoding="latin-1") as f:
        for key in sorted(props):
            f.write("%s=%s\n" % (key, str(props[key]).replace("\\", "\\\\")))


class ExecutorProcess:
    """One executor with its own working directory `<base>/<name>`.

    Relative paths of the configuration (executions, projects, temp) resolve against that
    directory, as with the stock scripts.
    """

    def __init__(self, binary, db, base_dir, name="exec", poll=False, extra=None, env=None,
                 host="127.0.0.1"):
        self.binary = binary
        self.db = db
        self.workdir = os.path.join(base_dir, name)
        self.confdir = os.path.join(self.workdir, "conf")
        self.portfile = os.path.join(self.workdir, "executor.port")
        self.poll = poll
        self.extra = dict(extra or {})
        # Environment of the executor process; None inherits the test's environment.
        self.env = None if env is None else dict(env)
        self.proc = None
        self.port = None
        # The executors.host value (azkaban.server.hostname); any 127.x.y.z works on Linux.
        self.host = host
        self._out = None

    def properties(self):
        props = dict(self.db.props())
        props.update({
            "executor.port": "0",
            "executor.portfile": self.portfile,
            "azkaban.server.hostname": self.host,
            "azkaban.execution.dir": "executions",
            "azkaban.project.dir": "projects",
            "project.temp.dir": "temp",
            "azkaban.jobtype.plugin.dir": "plugins/jobtypes",
            "executor.flow.threads": "10",
            "azkaban.poll.model": "true" if self.poll else "false",
            "azkaban.polling.interval.ms": "200",
        })
        props.update(self.extra)
        return props

    def start(self, timeout=60.0):
        os.makedirs(self.confdir, exist_ok=True)
        plugin_dir = os.path.join(self.workdir, "plugins", "jobtypes")
        os.makedirs(plugin_dir, exist_ok=True)
        # The stock distribution ships this setting; without it jobs would switch users.
        with open(os.path.join(plugin_dir, "commonprivate.properties"), "w") as f:
            f.write("execute.as.user=false\n")
        write_properties(os.path.join(self.confdir, "azkaban.properties"), self.properties())
        if os.path.exists(self.portfile):
            os.unlink(self.portfile)
        self._out = open(os.path.join(self.workdir, "executor.out"), "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--conf", self.confdir],
                                     cwd=self.workdir, env=self.env, stdout=self._out,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("executor exited with %s during start-up:\n%s"
                                   % (self.proc.returncode, self.output()))
            text = ""
            if os.path.exists(self.portfile):
                with open(self.portfile) as f:
                    text = f.read()
            if text.strip().isdigit():
                self.port = int(text.strip())
                return self
            if time.monotonic() > deadline:
                raise RuntimeError("no port file after %.0f s:\n%s" % (timeout, self.output()))
            time.sleep(0.1)

    def endpoint(self, executor_id=None):
        return Executor(executor_id, self.host, self.port)

    def activate(self):
        return call_executor(self.endpoint(), "activate")

    def deactivate(self):
        return call_executor(self.endpoint(), "deactivate")

    def row(self, web):
        """The own `executors` row as the web would load it, or None."""
        rows = web.query("SELECT id, host, port, active FROM executors WHERE host=%s AND port=%s",
                         (self.host, self.port))
        return Executor(*rows[0]) if rows else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60.0):
        """Signal the process and wait; SIGKILL after `timeout`. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        rc = self.proc.returncode
        self._reap_group()
        if self._out:
            self._out.close()
            self._out = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL, timeout=30)

    def _reap_group(self):
        # Job processes may sit in their own process groups but stay in the executor's
        # session (started with a new session); none may outlive a test.
        for pid in _session_members(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def output(self):
        try:
            with open(os.path.join(self.workdir, "executor.out"), "rb") as f:
                return f.read()[-6000:].decode(errors="replace")
        except OSError:
            return "(no output)"


def _session_members(sid):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp session ...
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 3 and int(fields[3]) == sid:
            pids.append(int(entry))
    return pids
