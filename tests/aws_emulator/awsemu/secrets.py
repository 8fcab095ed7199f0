"""Secrets Manager GetSecretValue. Config secretsmanager.secrets.<name> =
{"SecretString": text} or {"SecretBinary": base64 text}."""

import base64
import datetime
import hashlib
import threading
import uuid

from .protocol import AwsError
from .service import Service


class SecretsService(Service):
    name = "secretsmanager"

    def __init__(self, emu):
        super().__init__(emu)
        self.lock = threading.Lock()
        self.secrets = {}
        for name, spec in emu.config.get("secretsmanager", {}).get("secrets", {}).items():
            self.put(name, spec)

    def put(self, name, spec):
        suffix = hashlib.sha1(name.encode()).hexdigest()[:6]
        rec = {"Name": name, "ARN": f"arn:aws:secretsmanager:{self.emu.region}:{self.emu.account}:secret:{name}-{suffix}",
               "VersionId": str(uuid.uuid4()), "CreatedDate": datetime.datetime.now(datetime.timezone.utc)}
        if "SecretBinary" in spec:
            rec["SecretBinary"] = base64.b64decode(spec["SecretBinary"])
        else:
            rec["SecretString"] = spec["SecretString"]
        with self.lock:
            self.secrets[name] = rec
        return rec

    def op_GetSecretValue(self, p, ctx):
        sid = p["SecretId"]
        with self.lock:
            rec = self.secrets.get(sid) or next((r for r in self.secrets.values() if r["ARN"] == sid), None)
        if rec is None or p.get("VersionStage", "AWSCURRENT") != "AWSCURRENT" or \
                p.get("VersionId", rec["VersionId"] if rec else None) != (rec["VersionId"] if rec else None):
            raise AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
        out = dict(rec)
        out["VersionStages"] = ["AWSCURRENT"]
        return out
