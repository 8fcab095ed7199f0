#!/usr/bin/python3
"""Tests of docker/Dockerfile that need no Docker engine.

* check_runtime_deps.py passes on the real Dockerfile and fails, naming the library and the
  package, on copies with a package removed (runtime and build stage) or another base image.
* The HEALTHCHECK probe (bash /dev/tcp, the image has no curl) succeeds against an HTTP 200
  /healthz and fails on 503 and on a closed port.

AZX_EXECUTOR_BINARY names the built azkaban-executor (CTest passes it).
"""

import http.server
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DOCKERFILE = os.path.join(REPO, "docker", "Dockerfile")
CHECK = os.path.join(HERE, "check_runtime_deps.py")
BINARY = os.environ.get("AZX_EXECUTOR_BINARY", "")
# The server module the binary dlopens for serve/db/executors (next to it in the build tree).
MODULE = os.environ.get("AZX_SERVER_MODULE_FILE", "")


def dockerfile_text():
    with open(DOCKERFILE) as f:
        return f.read()


@unittest.skipUnless(os.path.isfile(BINARY) and os.path.isfile(MODULE),
                     "AZX_EXECUTOR_BINARY or AZX_SERVER_MODULE_FILE not set")
class RuntimeDepsCheckTest(unittest.TestCase):
    def run_check(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".Dockerfile", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return subprocess.run(["/usr/bin/python3", CHECK, "--dockerfile", f.name, BINARY, MODULE],
                              capture_output=True, text=True, timeout=120)

    def without(self, package, stage):
        """The Dockerfile with one package line removed from the given stage."""
        text = dockerfile_text()
        start = text.index("FROM debian:12 AS build" if stage == "build" else "FROM debian:12-slim")
        head, tail = text[:start], text[start:]
        line = re.search(rf"^\s+{re.escape(package)} \\\n", tail, re.M)
        self.assertIsNotNone(line, f"{package} not in the {stage} stage")
        return head + tail[:line.start()] + tail[line.end():]

    def test_real_dockerfile_passes(self):
        p = self.run_check(dockerfile_text())
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("libmariadb.so.3", p.stdout)  # it did look at the binary's libraries

    def test_missing_direct_runtime_library_fails(self):
        p = self.run_check(self.without("libmariadb3", "runtime"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stderr, r"FAIL: library libmariadb\.so\.3 \(\S+, linked directly by "
                                   r"azkaban-executor-server\.so\) comes from package libmariadb3, "
                                   r"which the runtime stage")

    def test_missing_runtime_package_fails_for_its_indirect_libraries_too(self):
        p = self.run_check(self.without("libcurl4", "runtime"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("library libcurl.so.4", p.stderr)
        # libcurl's own dependencies are no longer pulled in either
        self.assertRegex(p.stderr, r"library libnghttp2\.so\.14 \(\S+, loaded indirectly\) comes from "
                                   r"package libnghttp2-14, .*not even as a dependency")

    def test_missing_build_package_fails(self):
        p = self.run_check(self.without("libcli11-dev", "build"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("FAIL: build stage does not install libcli11-dev (scripts/setup.sh build_packages)",
                      p.stderr)

    def test_other_runtime_base_fails(self):
        p = self.run_check(dockerfile_text().replace("FROM debian:12-slim AS runtime",
                                                     "FROM debian:11-slim AS runtime"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("runtime stage starts FROM debian:11-slim", p.stderr)

    def test_single_stage_is_rejected(self):
        text = dockerfile_text()
        p = self.run_check(text[text.index("FROM debian:12-slim"):])
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)


class ServerModuleLayoutTest(unittest.TestCase):
    """The runtime stage must put the server module where the binary looks for it
    (src/cli/server_module_loader.cc): next to the binary or in <bin>/../lib/azkaban-executor/."""

    def test_module_is_copied_where_the_loader_looks(self):
        copies = dict((dst, src) for src, dst in
                      re.findall(r"^COPY --from=build (\S+) (\S+)$", dockerfile_text(), re.M))
        binary = next(dst for dst in copies if dst.endswith("/azkaban-executor"))
        module = next((dst for dst in copies if dst.endswith("/azkaban-executor-server.so")), None)
        self.assertIsNotNone(module, "the runtime stage does not copy azkaban-executor-server.so")
        bin_dir = os.path.dirname(binary)
        expected = {os.path.join(bin_dir, "azkaban-executor-server.so"),
                    os.path.normpath(os.path.join(bin_dir, "..", "lib", "azkaban-executor",
                                                  "azkaban-executor-server.so"))}
        self.assertIn(module, expected)


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        try:
            self.wfile.write(b"ok\n")
        except ConnectionError:
            pass  # the probe closes after reading the status line

    def log_message(self, *args):
        pass


class HealthcheckProbeTest(unittest.TestCase):
    """Runs the Dockerfile's HEALTHCHECK command (with the port file moved to a temp dir)."""

    def probe_command(self, port_file):
        joined = re.sub(r"\\\n", " ", dockerfile_text())
        m = re.search(r"^HEALTHCHECK .*? CMD (\[.*\])\s*$", joined, re.M)
        self.assertIsNotNone(m, "no exec-form HEALTHCHECK CMD in docker/Dockerfile")
        cmd = json.loads(m.group(1))
        self.assertIn("/azkaban-exec-server/executor.port", cmd[-1])
        return [c.replace("/azkaban-exec-server/executor.port", port_file) for c in cmd]

    def probe(self, port):
        with tempfile.TemporaryDirectory() as d:
            port_file = os.path.join(d, "executor.port")
            with open(port_file, "w") as f:
                f.write(str(port))  # the executor writes the bare number, no newline
            return subprocess.run(self.probe_command(port_file), capture_output=True, text=True,
                                  timeout=30).returncode

    def serve(self, status):
        handler = type("H", (_Health,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server.server_address[1]

    def test_healthy(self):
        self.assertEqual(self.probe(self.serve(200)), 0)

    def test_unhealthy(self):
        self.assertNotEqual(self.probe(self.serve(503)), 0)

    def test_nothing_listening(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.assertNotEqual(self.probe(port), 0)


if __name__ == "__main__":
    unittest.main()
