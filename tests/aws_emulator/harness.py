#!/usr/bin/python3
"""Start/stop the AWS emulator from Python tests or from a shell.

Python:
    from harness import Emulator
    with Emulator(config={...}) as emu:
        emu.port, emu.endpoint, emu.admin("POST", "emr/clusters", {"name": "c"})

Shell:
    python3 harness.py start [--state-dir D] [--config JSON]   # prints "<port> <pid>", leaves it running
    python3 harness.py stop --port P                            # admin shutdown
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "emulator.py")
# The emulator must run on the Debian interpreter that has python3-botocore.
PYTHON = os.environ.get("AWS_EMULATOR_PYTHON", "/usr/bin/python3")
TEST_ACCESS_KEY = "AKIAEMULATORTEST0001"
TEST_SECRET_KEY = "emulatorSecretKey/0000000000000000000000"


def admin_call(port, method, route, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}/__admin/{route}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"admin {method} {route} -> {e.code}: {e.read().decode()}") from None


class Emulator:
    def __init__(self, config=None, state_dir=None, start_timeout=30, detach=False):
        self.config = config or {}
        self._own_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="aws-emulator-")
        self.start_timeout = start_timeout
        self.detach = detach
        self.proc = None
        self.port = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        os.makedirs(self.state_dir, exist_ok=True)
        port_file = os.path.join(self.state_dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(os.path.join(self.state_dir, "emulator.stderr"), "ab")
        self.proc = subprocess.Popen([PYTHON, EMULATOR, "--port", "0", "--port-file", port_file,
                                      "--state-dir", self.state_dir, "--config", json.dumps(self.config)],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     start_new_session=self.detach)
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.proc.returncode}: {self.stderr()[-2000:]}")
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read())
                admin_call(self.port, "GET", "health")
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("emulator did not start in time: " + self.stderr()[-2000:])

    def stderr(self):
        try:
            with open(os.path.join(self.state_dir, "emulator.stderr"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def admin(self, method, route, body=None):
        return admin_call(self.port, method, route, body)

    def stop(self, timeout=10):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.admin("POST", "shutdown")
            except (OSError, RuntimeError, http.client.HTTPException):
                pass  # already going away; the wait below decides
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=timeout)
        self.proc = None
        if self._own_dir and not os.environ.get("AWS_EMULATOR_KEEP_STATE"):
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    ap = argparse.ArgumentParser(description="start/stop the AWS emulator")
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start")
    st.add_argument("--state-dir")
    st.add_argument("--config", default="{}")
    sp = sub.add_parser("stop")
    sp.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    if a.cmd == "start":
        state_dir = a.state_dir or tempfile.mkdtemp(prefix="aws-emulator-")
        emu = Emulator(json.loads(a.config), state_dir, detach=True).start()
        print(emu.port, emu.proc.pid)
        return 0
    admin_call(a.port, "POST", "shutdown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
