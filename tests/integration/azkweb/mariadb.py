"""A private, throw-away MariaDB server holding the Azkaban 3.81 schema.

Everything lives in one temporary directory (datadir, socket, logs); the server listens on
a free loopback port only. stop()/start() keep the datadir and the port, so a test can
simulate "the database restarted" while an executor stays connected to 127.0.0.1:<port>.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from . import paths
from .procutil import die_with_parent

try:
    import pymysql
except ImportError:  # pragma: no cover - depends on the machine
    pymysql = None

DB_NAME = "azkaban"
DB_USER = "azkaban"
DB_PASSWORD = "azkaban-test-pw"

_SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin")


def _find_program(*names):
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        for d in _SBIN_DIRS:  # mariadbd lives in sbin, often not on a test PATH
            candidate = os.path.join(d, name)
            if os.access(candidate, os.X_OK):
                return candidate
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def split_sql(text):
    """Statements of a DDL file: drop `--` comment lines, split on ';'."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class MariaDB:
    """Use as a context manager, or call setup() and always teardown()."""

    def __init__(self, startup_timeout=60.0):
        self.startup_timeout = startup_timeout
        self.base = None
        self.port = None
        self.proc = None
        self._log = None

    # -- lifecycle ---------------------------------------------------------------------------
    def setup(self):
        if pymysql is None:
            raise unittest.SkipTest("python3-pymysql is not installed")
        self.mariadbd = _find_program("mariadbd", "mysqld")
        self.install_db = _find_program("mariadb-install-db", "mysql_install_db")
        if not self.mariadbd or not self.install_db:
            raise unittest.SkipTest(
                "MariaDB server (mariadbd, mariadb-install-db) is not installed")
        self.sql_dir = os.path.join(paths.require_reference(), "sql")
        self.base = tempfile.mkdtemp(prefix="azx-mariadb-")
        try:
            self.datadir = os.path.join(self.base, "data")
            self.socket_path = os.path.join(self.base, "mysqld.sock")
            self.port = free_port()
            self._install()
            self.start()
            self._create_schema()
        except BaseException:
            self.teardown()
            raise
        return self

    def _root_args(self):
        return ["--user=root"] if os.geteuid() == 0 else []

    def _install(self):
        cmd = [self.install_db, "--no-defaults", "--datadir=" + self.datadir,
               "--auth-root-authentication-method=normal", "--skip-test-db",
               "--skip-name-resolve"] + self._root_args()
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=120, check=False)
        if out.returncode != 0:
            raise RuntimeError("mariadb-install-db failed:\n" + out.stdout.decode(errors="replace"))

    def start(self):
        if self.proc is not None:
            return
        cmd = [self.mariadbd, "--no-defaults", "--datadir=" + self.datadir,
               "--socket=" + self.socket_path, "--port=%d" % self.port,
               "--bind-address=127.0.0.1", "--skip-name-resolve",
               "--pid-file=" + os.path.join(self.base, "mysqld.pid"),
               "--log-error=" + os.path.join(self.base, "mysqld.err"),
               "--innodb-buffer-pool-size=64M", "--max-connections=500",
               "--character-set-server=utf8mb4",
               # Durability is irrelevant for a scratch server; this keeps tests fast.
               "--innodb-flush-log-at-trx-commit=2", "--innodb-doublewrite=0"] + self._root_args()
        self._log = open(os.path.join(self.base, "mysqld.out"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError("mariadbd exited with %s during start-up:\n%s"
                                   % (rc, self.error_log()))
            try:
                self.root_connect().close()
                return
            except pymysql.err.MySQLError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mariadbd not ready after %.0f s:\n%s"
                                       % (self.startup_timeout, self.error_log()))
                time.sleep(0.2)

    def stop(self, timeout=60.0):
        """Clean shutdown (SIGTERM); the datadir stays for a later start()."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def teardown(self):
        try:
            self.stop()
        finally:
            if self.base:
                shutil.rmtree(self.base, ignore_errors=True)
                self.base = None

    def __enter__(self):
        return self.setup()

    def __exit__(self, *exc):
        self.teardown()

    # -- access ------------------------------------------------------------------------------
    def error_log(self):
        try:
            with open(os.path.join(self.base, "mysqld.err"), "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return "(no error log)"

    def root_connect(self):
        return pymysql.connect(unix_socket=self.socket_path, user="root", password="",
                               autocommit=True, connect_timeout=5)

    def connect(self):
        """A connection as the application user over TCP, like the servers use."""
        return pymysql.connect(host="127.0.0.1", port=self.port, user=DB_USER,
                               password=DB_PASSWORD, database=DB_NAME, autocommit=True,
                               charset="utf8mb4", connect_timeout=5)

    def props(self):
        """The `database.type` / `mysql.*` keys of section 8.2."""
        return {
            "database.type": "mysql",
            "mysql.host": "127.0.0.1",
            "mysql.port": str(self.port),
            "mysql.database": DB_NAME,
            "mysql.user": DB_USER,
            "mysql.password": DB_PASSWORD,
            "mysql.numconnections": "10",
        }

    def _create_schema(self):
        conn = self.root_connect()
        try:
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE %s CHARACTER SET utf8mb4" % DB_NAME)
                # Anonymous users of a fresh install would shadow 'azkaban'@'%' for local
                # clients, so the user is created for every host form a client may arrive as.
                for host in ("localhost", "127.0.0.1", "%"):
                    cur.execute("CREATE USER %s@%s IDENTIFIED BY %s", (DB_USER, host, DB_PASSWORD))
                    cur.execute("GRANT ALL ON %s.* TO %%s@%%s" % DB_NAME, (DB_USER, host))
        finally:
            conn.close()
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                for path in sorted(glob.glob(os.path.join(self.sql_dir, "*.sql"))):
                    with open(path, encoding="utf-8") as f:
                        for stmt in split_sql(f.read()):
                            cur.execute(stmt)
        finally:
            conn.close()

    def clear_tables(self, tables=None):
        """Empty the executor-facing tables between tests sharing one server.

        DELETE rather than TRUNCATE: much faster on tiny InnoDB tables; ids keep counting.
        """
        tables = tables or ["executors", "execution_flows", "execution_jobs", "execution_logs",
                            "active_executing_flows", "projects", "project_versions",
                            "project_files", "project_flow_files", "project_properties",
                            "project_flows"]
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                for t in tables:
                    cur.execute("DELETE FROM " + t)
        finally:
            conn.close()
