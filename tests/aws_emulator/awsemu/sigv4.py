"""SigV4 verification with botocore's own signer, and the credential store.

The received request is rebuilt as a botocore AWSRequest holding exactly the headers the
client listed in SignedHeaders, then botocore's SigV4Auth (S3SigV4Auth for S3) computes
the canonical request, string to sign and signature for the secret we know for the access
key. A different result is a signature mismatch, so a client bug in canonicalisation shows
up here as it would against AWS.
"""

import datetime
import hmac
import re
import secrets
import string
import threading
import time
import urllib.parse
from hashlib import sha256

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from .protocol import AwsError, error_for

DEFAULT_ACCESS_KEY = "AKIAEMULATORTEST0001"
DEFAULT_SECRET_KEY = "emulatorSecretKey/0000000000000000000000"
DEFAULT_ACCOUNT = "123456789012"
MAX_SKEW_SECONDS = 15 * 60

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request\s*,"
    r"\s*SignedHeaders=([a-z0-9;\-_.]+)\s*,\s*Signature=([0-9a-f]{64})\s*$")


class Credential:
    def __init__(self, access_key, secret_key, token=None, expires=None, arn=None, account=DEFAULT_ACCOUNT):
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token
        self.expires = expires  # epoch seconds or None
        self.arn = arn or f"arn:aws:iam::{account}:user/emulator"
        self.account = account
        self.revoked = False


class CredentialStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._by_key = {}

    def add(self, cred):
        with self._lock:
            self._by_key[cred.access_key] = cred
        return cred

    def get(self, access_key):
        with self._lock:
            return self._by_key.get(access_key)

    def issue_temporary(self, lifetime_s, arn, account=DEFAULT_ACCOUNT):
        """New ASIA... key with a session token (STS / container credentials)."""
        alnum = string.ascii_uppercase + string.digits
        key = "ASIA" + "".join(secrets.choice(alnum) for _ in range(16))
        secret = secrets.token_urlsafe(30)[:40]
        token = "EMUTOKEN" + secrets.token_urlsafe(96)
        return self.add(Credential(key, secret, token, time.time() + lifetime_s, arn, account))


class _ExactHeadersMixin:
    """Sign exactly the headers the client listed (AWS accepts any signed set)."""
    signed_names = ()

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self.signed_names:
            for v in request.headers.get_all(name) or []:
                hm[name] = v
        return hm


class _Verifier(_ExactHeadersMixin, SigV4Auth):
    pass


class _S3Verifier(_ExactHeadersMixin, S3SigV4Auth):
    pass


def _normalise_query(raw_query):
    """Decode and re-encode each name/value per RFC 3986, as AWS canonicalises the query."""
    if not raw_query:
        return ""
    out = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        k, _, v = pair.partition("=")
        out.append(urllib.parse.quote(urllib.parse.unquote(k), safe="-_.~") + "=" +
                   urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~"))
    return "&".join(out)


def verify(store, protocol, method, raw_path, raw_query, header_items, body, is_s3):
    """Check the Authorization header. Returns (Credential, region, service) or raises AwsError."""
    headers = {}
    for k, v in header_items:
        headers.setdefault(k.lower(), []).append(v)
    auth = (headers.get("authorization") or [None])[0]
    if not auth:
        raise error_for("missing_auth", protocol, "Request is missing Authentication Token")
    m = _AUTH_RE.match(auth.strip())
    if not m:
        raise error_for("bad_signature", protocol, f"Authorization header malformed: {auth[:60]}")
    akid, date, region, service, signed, signature = m.groups()
    cred = store.get(akid)
    if cred is None or cred.revoked:
        raise error_for("unknown_key", protocol, "The security token included in the request is invalid.")
    if cred.expires is not None and time.time() > cred.expires:
        raise error_for("expired_token", protocol, "The security token included in the request is expired")
    sent_token = (headers.get("x-amz-security-token") or [None])[0]
    if (cred.token or None) != (sent_token or None):
        raise error_for("unknown_key", protocol, "The security token included in the request is invalid.")
    signed_names = signed.split(";")
    if "host" not in signed_names:
        raise error_for("bad_signature", protocol, "'Host' must be a signed header")
    for name in signed_names:
        if name not in headers:
            raise error_for("bad_signature", protocol, f"signed header {name} is missing")
    amz_date = (headers.get("x-amz-date") or [""])[0]
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise error_for("bad_signature", protocol, "X-Amz-Date missing or malformed") from None
    if amz_date[:8] != date:
        raise error_for("bad_signature", protocol, "credential scope date does not match X-Amz-Date")
    if abs(time.time() - when.timestamp()) > MAX_SKEW_SECONDS:
        raise error_for("bad_signature", protocol,
                        "Signature expired: request time is more than 15 minutes from server time")
    if is_s3:
        declared = (headers.get("x-amz-content-sha256") or [None])[0]
        if declared is None:
            raise AwsError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        if declared not in ("UNSIGNED-PAYLOAD",) and not declared.startswith("STREAMING-") \
                and declared != sha256(body).hexdigest():
            raise AwsError("XAmzContentSHA256Mismatch",
                           "The provided 'x-amz-content-sha256' header does not match what was computed.")

    host = headers["host"][0]
    query = _normalise_query(raw_query)
    url = f"http://{host}{raw_path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body)
    request.headers = HTTPHeaders()
    for name in signed_names:
        for v in headers[name]:
            request.headers[name] = v
    request.context["timestamp"] = amz_date
    signer = (_S3Verifier if is_s3 else _Verifier)(
        Credentials(cred.access_key, cred.secret_key, cred.token), service, region)
    signer.signed_names = signed_names
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        raise error_for("bad_signature", protocol,
                        "The request signature we calculated does not match the signature you provided. "
                        "Check your AWS Secret Access Key and signing method. "
                        f"Canonical request was:\n{canonical}")
    return cred, region, service
