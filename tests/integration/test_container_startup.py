"""Native container start-up (issue 5): configuration from S3, secrets from Secrets Manager,
a self-signed certificate, activation at start and reloadExecutors on the web server, against
the AWS emulator, a private MariaDB and a stub web server."""
import base64
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "aws_emulator"))

from azkweb import executor_proc, mariadb  # noqa: E402
from azkweb.procutil import die_with_parent  # noqa: E402
from harness import Emulator  # noqa: E402

KEY_ID = "AKIAEMULATORTEST0001"
SECRET = "emulatorSecretKey/0000000000000000000000"


class StubWebServer:
    """Answers action=login with a session id and records reloadExecutors calls."""

    def __init__(self):
        self.calls = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                stub.calls.append((self.path, form))
                if form.get("action") == "login":
                    reply = {"session.id": "sid-123", "status": "success"}
                elif "reloadExecutors" in self.path and form.get("session.id") == "sid-123":
                    reply = {"status": "success"}
                else:
                    reply = {"error": "unexpected call"}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ContainerStartupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = executor_proc.require_serve()
        cls.db = mariadb.MariaDB()
        cls.db.setup()

    @classmethod
    def tearDownClass(cls):
        cls.db.teardown()

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="azx-startup-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.emu = Emulator()
        self.emu.start()
        self.addCleanup(self.emu.stop)
        self.web = StubWebServer()
        self.addCleanup(self.web.stop)
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def put_object(self, key, text):
        self.emu.admin("POST", "s3/objects", {"bucket": "config-bucket", "key": key, "body": text})

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZK_")}
        env.update({
            "AWS_ENDPOINT_URL": self.emu.endpoint,
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_REGION": "eu-west-2",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AZKABAN_CONFIG_S3_BUCKET": "config-bucket",
            "AZKABAN_CONFIG_S3_PREFIX": "workflow-manager/azkaban",
            "AZKABAN_ROLE": "exec-server",
        })
        env.update(extra)
        return env

    def start(self, env):
        conf = os.path.join(self.work, "conf")
        self.out = open(os.path.join(self.work, "executor.out"), "wb")
        self.addCleanup(self.out.close)
        self.proc = subprocess.Popen([self.binary, "serve", "--conf", conf], cwd=self.work, env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     preexec_fn=die_with_parent)
        return conf

    def output(self):
        with open(os.path.join(self.work, "executor.out"), "rb") as f:
            return f.read().decode(errors="replace")

    def wait_port(self, timeout=60):
        portfile = os.path.join(self.work, "executor.port")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail("executor exited %s:\n%s" % (self.proc.returncode, self.output()))
            if os.path.exists(portfile):
                with open(portfile) as f:
                    text = f.read().strip()
                if text.isdigit():
                    return int(text)
            time.sleep(0.1)
        self.fail("no port file:\n" + self.output())

    def publish_config(self, tls):
        props = dict(self.db.props())
        # The secret supplies database name, user and password, as in the deployment.
        for key in ("mysql.user", "mysql.password", "mysql.database"):
            props.pop(key, None)
        props.update({
            "executor.portfile": "executor.port",
            "azkaban.server.hostname": "127.0.0.1",
            "executor.bind.address": "127.0.0.1",
            "aws.rds.secretid": "executor-rds-password",
            "aws.azkaban.secretid": "/concourse/dataworks/workflow_manager",
            "azkaban.webserver.url": "http://127.0.0.1",
            "jetty.use.ssl": "true" if tls else "false",
            "executor.shutdown.linger.ms": "0",
        })
        text = "".join("%s=%s\n" % (k, v) for k, v in sorted(props.items()))
        base = "workflow-manager/azkaban/exec-server/"
        self.put_object(base + "azkaban.properties", text)
        self.put_object(base + "commonprivate.properties", "execute.as.user=false\n")
        self.put_object(base + "private.properties", "aws.emr.cluster.name=analytics\n")
        db_props = self.db.props()
        self.emu.admin("POST", "secrets", {"name": "executor-rds-password", "SecretString": json.dumps({
            "dbInstanceIdentifier": db_props["mysql.database"], "username": db_props["mysql.user"],
            "password": db_props["mysql.password"], "host": "ignored"})})
        azkaban_secret = {"keystore_password": "changeit", "azkaban_username": "admin",
                          "azkaban_password": "pw", "ports": {"azkaban_executor_port": 0,
                                                              "azkaban_webserver_port": self.web.port}}
        self.emu.admin("POST", "secrets", {"name": "/concourse/dataworks/workflow_manager",
                                           "SecretBinary": base64.b64encode(json.dumps(azkaban_secret).encode()).decode()})

    def test_s3_config_secrets_tls_activation_and_reload(self):
        self.publish_config(tls=True)
        conf = self.start(self.env())
        port = self.wait_port()
        # Files placed where the Java image placed them.
        self.assertTrue(os.path.exists(os.path.join(conf, "azkaban.properties")))
        with open(os.path.join(self.work, "plugins", "jobtypes", "emr", "private.properties")) as f:
            self.assertIn("analytics", f.read())
        self.assertTrue(os.path.exists(os.path.join(self.work, "plugins", "jobtypes",
                                                    "commonprivate.properties")))
        # TLS with the generated self-signed certificate.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        reply = urllib.request.urlopen("https://127.0.0.1:%d/executor?action=ping" % port,
                                       context=ctx, timeout=10).read()
        self.assertEqual(json.loads(reply), {"status": "alive"})
        with self.assertRaises(Exception):
            urllib.request.urlopen("https://127.0.0.1:%d/executor?action=ping" % port, timeout=10)
        # Activated at start (row active) with credentials that only the secret held.
        conn = self.db.connect()
        deadline = time.monotonic() + 30
        active = None
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute("SELECT active FROM executors WHERE host=%s AND port=%s", ("127.0.0.1", port))
                row = cur.fetchone()
            conn.commit()
            active = row and row[0]
            if active:
                break
            time.sleep(0.1)
        self.assertEqual(active, 1, self.output())
        # The web server was told to reload, after logging in with the secret's credentials.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("reloadExecutors" in p for p, _ in self.web.calls):
            time.sleep(0.1)
        paths = [p for p, _ in self.web.calls]
        self.assertTrue(any("reloadExecutors" in p for p in paths), self.web.calls)
        login = [f for p, f in self.web.calls if f.get("action") == "login"][0]
        self.assertEqual((login["username"], login["password"]), ("admin", "pw"))
        # No secret in the log.
        self.assertNotIn(self.db.props()["mysql.password"], self.output())
        self.assertNotIn(SECRET, self.output())
        self.proc.terminate()
        self.assertEqual(self.proc.wait(timeout=60), 0, self.output())

    def test_missing_prefix_fails_with_one_clear_message(self):
        env = self.env()
        del env["AZKABAN_CONFIG_S3_PREFIX"]
        self.start(env)
        self.assertNotEqual(self.proc.wait(timeout=60), 0)
        self.assertIn("AZKABAN_CONFIG_S3_BUCKET and AZKABAN_CONFIG_S3_PREFIX", self.output())

    def test_missing_secret_fails_naming_it(self):
        self.publish_config(tls=False)
        self.emu.admin("POST", "secrets", {"name": "executor-rds-password", "SecretString": "not json"})
        self.start(self.env())
        self.assertNotEqual(self.proc.wait(timeout=60), 0)
        self.assertIn("executor-rds-password", self.output())


if __name__ == "__main__":
    unittest.main()
