"""STS (query protocol): AssumeRole / AssumeRoleWithWebIdentity issue temporary keys the
signature check accepts; GetCallerIdentity reports who signed."""

import datetime
import hashlib

from .protocol import AwsError
from .service import Service


class StsService(Service):
    name = "sts"
    unsigned_operations = ("AssumeRoleWithWebIdentity",)

    def __init__(self, emu):
        super().__init__(emu)
        self.web_tokens = emu.config.get("sts", {}).get("web_identity_tokens")

    def _issue(self, p, ctx):
        dur = p.get("DurationSeconds", 3600)
        if not 900 <= dur <= 43200:
            raise AwsError("ValidationError", "DurationSeconds must be between 900 and 43200")
        role = p["RoleArn"].rsplit("/", 1)[-1]
        account = p["RoleArn"].split(":")[4] or self.emu.account
        session = p["RoleSessionName"]
        arn = f"arn:aws:sts::{account}:assumed-role/{role}/{session}"
        cred = self.emu.creds.issue_temporary(dur, arn, account)
        role_id = "AROA" + hashlib.sha1(p["RoleArn"].encode()).hexdigest()[:17].upper()
        exp = datetime.datetime.fromtimestamp(cred.expires, datetime.timezone.utc)
        return {"Credentials": {"AccessKeyId": cred.access_key, "SecretAccessKey": cred.secret_key,
                                "SessionToken": cred.token, "Expiration": exp},
                "AssumedRoleUser": {"AssumedRoleId": f"{role_id}:{session}", "Arn": arn}}

    def op_AssumeRole(self, p, ctx):
        return self._issue(p, ctx)

    def op_AssumeRoleWithWebIdentity(self, p, ctx):
        if self.web_tokens is not None and p["WebIdentityToken"] not in self.web_tokens:
            raise AwsError("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
        out = self._issue(p, ctx)
        out.update(SubjectFromWebIdentityToken="system:serviceaccount:emulator", Audience="sts.amazonaws.com",
                   Provider="emulator.local")
        return out

    def op_GetCallerIdentity(self, p, ctx):
        c = ctx.cred
        return {"UserId": c.access_key, "Account": c.account, "Arn": c.arn}
