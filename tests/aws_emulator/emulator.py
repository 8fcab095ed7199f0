#!/usr/bin/python3
"""AWS emulator for tests: EMR, CloudWatch Logs, Lambda, STS, SQS, Secrets Manager, S3, ECS,
Cognito IdP and the ECS container-credentials endpoint on one loopback port.

    python3 tests/aws_emulator/emulator.py --port 0 --port-file F [--state-dir D] [--config JSON|@file]
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from awsemu import server  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--state-dir", help="step output files and requests.log (default: a new temp dir)")
    ap.add_argument("--config", default="{}", help="JSON text, or @path of a JSON file")
    a = ap.parse_args()
    text = a.config
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    config = json.loads(text)
    state_dir = a.state_dir or tempfile.mkdtemp(prefix="aws-emulator-")
    os.makedirs(state_dir, exist_ok=True)

    srv = server.make_server(config, state_dir, a.port)

    def on_term(signum, frame):
        # shutdown() must run off the serving thread; run() then kills step process groups.
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    server.run(srv, a.port_file)


if __name__ == "__main__":
    main()
