"""ECS container-credentials endpoint (what AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI point at).

GET /v2/credentials/<anything> or the configured relative_uri returns temporary keys that
the signature check accepts. Rotation: a new key every rotate_seconds (0 = never), or on
the admin call; old keys stay valid until their Expiration unless revoked.
Config container_credentials: {relative_uri, auth_token, rotate_seconds, lifetime_seconds, role_arn}.
"""

import datetime
import json
import threading
import time


class ContainerCredentials:
    def __init__(self, emu):
        cfg = emu.config.get("container_credentials", {})
        self.emu = emu
        self.relative_uri = cfg.get("relative_uri", "/v2/credentials/emulator-task")
        self.auth_token = cfg.get("auth_token")
        self.rotate_seconds = float(cfg.get("rotate_seconds", 0))
        self.lifetime = float(cfg.get("lifetime_seconds", 3600))
        self.role_arn = cfg.get("role_arn", f"arn:aws:iam::{emu.account}:role/azkaban-executor")
        self.lock = threading.Lock()
        self.current = None
        self.issued_at = 0.0
        self.served = 0

    def matches(self, path):
        return path == self.relative_uri or path.startswith("/v2/credentials/")

    def rotate(self, revoke_previous=False):
        with self.lock:
            old = self.current
            session = "emulator-" + str(int(time.time() * 1000))
            arn = self.role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/" + session
            self.current = self.emu.creds.issue_temporary(self.lifetime, arn, self.emu.account)
            self.issued_at = time.time()
            if revoke_previous and old is not None:
                old.revoked = True
            return self.current

    def serve(self, headers):
        """Returns (status, body bytes)."""
        if self.auth_token is not None and headers.get("authorization") != self.auth_token:
            return 403, json.dumps({"code": "AccessDenied", "message": "invalid authorization token"}).encode()
        with self.lock:
            due = self.current is None or (self.rotate_seconds > 0 and
                                           time.time() - self.issued_at >= self.rotate_seconds)
        cred = self.rotate() if due else self.current
        with self.lock:
            self.served += 1
        exp = datetime.datetime.fromtimestamp(cred.expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, json.dumps({"AccessKeyId": cred.access_key, "SecretAccessKey": cred.secret_key,
                                "Token": cred.token, "Expiration": exp, "RoleArn": self.role_arn}).encode()
