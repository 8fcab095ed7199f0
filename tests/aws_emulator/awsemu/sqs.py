"""SQS (query protocol in Debian's botocore 1.29 model): queues with visibility timeout and long polling."""

import hashlib
import threading
import time
import uuid

from .protocol import AwsError
from .service import Service, ms_now

_NO_QUEUE = "AWS.SimpleQueueService.NonExistentQueue"


class Queue:
    def __init__(self, name):
        self.name = name
        self.messages = []   # dicts: id, body, sent_ms, visible_at, receipt, receives, attrs
        self.created = time.time()


class SqsStore:
    def __init__(self):
        self.cond = threading.Condition()
        self.queues = {}

    def create(self, name):
        with self.cond:
            return self.queues.setdefault(name, Queue(name))

    def get(self, name):
        with self.cond:
            q = self.queues.get(name)
        if q is None:
            raise AwsError(_NO_QUEUE, "The specified queue does not exist for this wsdl version.")
        return q

    def send(self, name, body, attrs=None):
        with self.cond:
            q = self.queues.setdefault(name, Queue(name))
            m = {"id": str(uuid.uuid4()), "body": body, "sent_ms": ms_now(), "visible_at": 0.0,
                 "receipt": None, "receives": 0, "attrs": attrs or {}}
            q.messages.append(m)
            self.cond.notify_all()
            return m

    def receive(self, name, max_n, wait_s, visibility_s):
        deadline = time.monotonic() + wait_s
        with self.cond:
            while True:
                q = self.queues.get(name)
                if q is None:
                    raise AwsError(_NO_QUEUE, "The specified queue does not exist for this wsdl version.")
                now = time.time()
                got = [m for m in q.messages if m["visible_at"] <= now][:max_n]
                if got or time.monotonic() >= deadline:
                    for m in got:
                        m["visible_at"] = now + visibility_s
                        m["receives"] += 1
                        m["receipt"] = uuid.uuid4().hex + uuid.uuid4().hex
                    return [dict(m) for m in got]
                self.cond.wait(min(0.5, max(0.0, deadline - time.monotonic())))

    def delete(self, name, receipt):
        with self.cond:
            q = self.queues.get(name)
            if q is None:
                raise AwsError(_NO_QUEUE, "The specified queue does not exist for this wsdl version.")
            for i, m in enumerate(q.messages):
                if m["receipt"] == receipt:
                    del q.messages[i]
                    return
        raise AwsError("ReceiptHandleIsInvalid", f"The input receipt handle \"{receipt}\" is not a valid receipt handle.")

    def peek_all(self, name):
        with self.cond:
            q = self.queues.get(name)
            return [dict(m) for m in q.messages] if q else []


def _md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class SqsService(Service):
    name = "sqs"

    def __init__(self, emu, store):
        super().__init__(emu)
        self.store = store

    def _url(self, ctx, name):
        return f"http://{ctx.host}/{ctx.account}/{name}"

    @staticmethod
    def _name(url):
        return url.rstrip("/").rsplit("/", 1)[-1]

    def op_CreateQueue(self, p, ctx):
        self.store.create(p["QueueName"])
        return {"QueueUrl": self._url(ctx, p["QueueName"])}

    def op_GetQueueUrl(self, p, ctx):
        self.store.get(p["QueueName"])
        return {"QueueUrl": self._url(ctx, p["QueueName"])}

    def op_ListQueues(self, p, ctx):
        with self.store.cond:
            names = sorted(self.store.queues)
        pref = p.get("QueueNamePrefix", "")
        return {"QueueUrls": [self._url(ctx, n) for n in names if n.startswith(pref)]}

    def op_SendMessage(self, p, ctx):
        m = self.store.send(self._name(p["QueueUrl"]), p["MessageBody"])
        return {"MessageId": m["id"], "MD5OfMessageBody": _md5(p["MessageBody"])}

    def op_ReceiveMessage(self, p, ctx):
        max_n = p.get("MaxNumberOfMessages", 1)
        wait = p.get("WaitTimeSeconds", 0)
        if not 1 <= max_n <= 10:
            raise AwsError("InvalidParameterValue", "Value for parameter MaxNumberOfMessages is invalid.")
        if not 0 <= wait <= 20:
            raise AwsError("InvalidParameterValue", "Value for parameter WaitTimeSeconds is invalid.")
        msgs = self.store.receive(self._name(p["QueueUrl"]), max_n, wait, p.get("VisibilityTimeout", 30))
        want = set(p.get("AttributeNames", [])) | set(p.get("MessageSystemAttributeNames", []))
        out = []
        for m in msgs:
            row = {"MessageId": m["id"], "ReceiptHandle": m["receipt"], "MD5OfBody": _md5(m["body"]),
                   "Body": m["body"]}
            if want:
                attrs = {"SentTimestamp": str(m["sent_ms"]), "ApproximateReceiveCount": str(m["receives"]),
                         "ApproximateFirstReceiveTimestamp": str(ms_now())}
                row["Attributes"] = attrs if "All" in want else {k: v for k, v in attrs.items() if k in want}
            out.append(row)
        return {"Messages": out} if out else {}

    def op_DeleteMessage(self, p, ctx):
        self.store.delete(self._name(p["QueueUrl"]), p["ReceiptHandle"])
        return {}

    def op_DeleteMessageBatch(self, p, ctx):
        ok, failed = [], []
        name = self._name(p["QueueUrl"])
        self.store.get(name)
        for e in p["Entries"]:
            try:
                self.store.delete(name, e["ReceiptHandle"])
                ok.append({"Id": e["Id"]})
            except AwsError as err:
                failed.append({"Id": e["Id"], "SenderFault": True, "Code": err.code, "Message": err.message})
        return {"Successful": ok, "Failed": failed}

    def op_PurgeQueue(self, p, ctx):
        q = self.store.get(self._name(p["QueueUrl"]))
        with self.store.cond:
            q.messages.clear()
        return {}

    def op_GetQueueAttributes(self, p, ctx):
        q = self.store.get(self._name(p["QueueUrl"]))
        with self.store.cond:
            now = time.time()
            vis = sum(1 for m in q.messages if m["visible_at"] <= now)
            attrs = {"ApproximateNumberOfMessages": str(vis),
                     "ApproximateNumberOfMessagesNotVisible": str(len(q.messages) - vis),
                     "QueueArn": f"arn:aws:sqs:{ctx.region}:{ctx.account}:{q.name}",
                     "CreatedTimestamp": str(int(q.created))}
        want = p.get("AttributeNames", ["All"])
        return {"Attributes": attrs if "All" in want else {k: v for k, v in attrs.items() if k in want}}
