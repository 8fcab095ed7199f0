"""Base class for the emulated services and small shared helpers."""

import base64
import random
import string
import time

from .protocol import AwsError


def ms_now():
    return int(time.time() * 1000)


def random_id(prefix, n=13):
    return prefix + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(n))


class Context:
    """What a handler may know about the request besides its parameters."""

    def __init__(self, emu, cred, region, host, headers):
        self.emu = emu
        self.cred = cred
        self.region = region or emu.region
        self.account = cred.account if cred else emu.account
        self.host = host
        self.headers = headers


class Service:
    name = ""

    def __init__(self, emu):
        self.emu = emu

    def implemented(self):
        return [n[3:] for n in dir(self) if n.startswith("op_")]

    def handle(self, op, params, ctx):
        fn = getattr(self, "op_" + op, None)
        if fn is None:
            raise AwsError("UnsupportedOperation", f"{self.name}.{op} is not emulated", 400)
        return fn(params, ctx)

    @staticmethod
    def page(rows, token, limit, list_key, token_name_in, token_name_out, bad_token_code=None):
        """Offset pagination with an opaque token."""
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("off:"))
            except (ValueError, UnicodeDecodeError):
                code = bad_token_code or ("InvalidParameterException" if token_name_in == "nextToken"
                                          else "InvalidRequestException")
                raise AwsError(code, f"invalid {token_name_in}") from None
        out = {list_key: rows[start:start + limit]}
        if start + limit < len(rows):
            out[token_name_out] = base64.urlsafe_b64encode(f"off:{start + limit}".encode()).decode()
        return out
