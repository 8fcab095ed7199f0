"""S3 GetObject / HeadObject / ListObjectsV2 (rest-xml), path-style and virtual-host style.

Config s3.buckets.<bucket>.<key> = text, or {"base64": ...}.
"""

import base64
import datetime
import hashlib
import threading
import urllib.parse

from .protocol import AwsError
from .service import Service


class S3Service(Service):
    name = "s3"

    def __init__(self, emu):
        super().__init__(emu)
        self.lock = threading.Lock()
        self.buckets = {}
        for b, objs in emu.config.get("s3", {}).get("buckets", {}).items():
            self.buckets.setdefault(b, {})
            for k, v in objs.items():
                self.put(b, k, base64.b64decode(v["base64"]) if isinstance(v, dict) else v.encode())

    def put(self, bucket, key, data, content_type="binary/octet-stream"):
        with self.lock:
            self.buckets.setdefault(bucket, {})[key] = {
                "data": data, "etag": '"' + hashlib.md5(data).hexdigest() + '"',
                "modified": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0),
                "type": content_type}

    def _bucket(self, name):
        b = self.buckets.get(name)
        if b is None:
            raise AwsError("NoSuchBucket", "The specified bucket does not exist", 404)
        return b

    def _object(self, p):
        with self.lock:
            o = self._bucket(p["Bucket"]).get(p["Key"])
        if o is None:
            raise AwsError("NoSuchKey", "The specified key does not exist.", 404)
        return o

    def op_GetObject(self, p, ctx):
        o = self._object(p)
        return {"Body": o["data"], "ContentLength": len(o["data"]), "ETag": o["etag"],
                "LastModified": o["modified"], "ContentType": o["type"], "Metadata": {},
                "ServerSideEncryption": "aws:kms"}

    def op_HeadObject(self, p, ctx):
        o = self._object(p)
        return {"ContentLength": len(o["data"]), "ETag": o["etag"], "LastModified": o["modified"],
                "ContentType": o["type"], "Metadata": {}}

    def op_ListObjectsV2(self, p, ctx):
        with self.lock:
            keys = sorted(self._bucket(p["Bucket"]).items())
        prefix = p.get("Prefix", "")
        delim = p.get("Delimiter")
        max_keys = p.get("MaxKeys", 1000)
        after = p.get("ContinuationToken")
        if after:
            try:
                after = base64.urlsafe_b64decode(after.encode()).decode()
            except ValueError:
                raise AwsError("InvalidArgument", "The continuation token provided is incorrect") from None
        else:
            after = p.get("StartAfter", "")
        enc = (lambda s: urllib.parse.quote(s, safe="/")) if p.get("EncodingType") == "url" else (lambda s: s)
        contents, prefixes, last, truncated = [], [], None, False
        for k, o in keys:
            if not k.startswith(prefix) or (after and k <= after):
                continue
            if delim:
                cut = k.find(delim, len(prefix))
                if cut >= 0:
                    cp = k[:cut + len(delim)]
                    if cp in prefixes:
                        last = k
                        continue
                    if len(contents) + len(prefixes) >= max_keys:
                        truncated = True
                        break
                    prefixes.append(cp)
                    last = k
                    continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            contents.append({"Key": enc(k), "LastModified": o["modified"], "ETag": o["etag"],
                             "Size": len(o["data"]), "StorageClass": "STANDARD"})
            last = k
        out = {"IsTruncated": truncated, "Name": p["Bucket"], "Prefix": enc(prefix), "MaxKeys": max_keys,
               "KeyCount": len(contents) + len(prefixes)}
        if contents:
            out["Contents"] = contents
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": enc(cp)} for cp in prefixes]
        if delim:
            out["Delimiter"] = enc(delim)
        if p.get("EncodingType"):
            out["EncodingType"] = p["EncodingType"]
        if p.get("ContinuationToken"):
            out["ContinuationToken"] = p["ContinuationToken"]
        if p.get("StartAfter"):
            out["StartAfter"] = enc(p["StartAfter"])
        if truncated and last is not None:
            out["NextContinuationToken"] = base64.urlsafe_b64encode(last.encode()).decode()
        return out
