"""Per-API token buckets, fault injection and call accounting.

API names are '<botocore service name>.<Operation>' (e.g. 'emr.ListSteps'); rate limits and
faults may also be configured for '<service>.*' or '*'.
"""

import collections
import threading
import time


class TokenBucket:
    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Control:
    def __init__(self):
        self._lock = threading.Lock()
        self._buckets = {}   # pattern -> TokenBucket
        self._faults = {}    # pattern -> list of fault dicts (FIFO)
        self.calls = collections.Counter()
        self.outcomes = collections.defaultdict(collections.Counter)
        self.delayed = collections.Counter()  # api -> requests held back by a delay fault

    @staticmethod
    def _patterns(api):
        return (api, api.split(".")[0] + ".*", "*")

    def set_rate_limit(self, api, rate, burst):
        with self._lock:
            if rate is None:
                self._buckets.pop(api, None)
            else:
                self._buckets[api] = TokenBucket(rate, burst if burst is not None else max(1.0, rate))

    def rate_limits(self):
        with self._lock:
            return {k: {"rate": b.rate, "burst": b.burst, "tokens": b.tokens} for k, b in self._buckets.items()}

    def add_fault(self, api, count=1, status=500, delay_ms=0):
        with self._lock:
            self._faults.setdefault(api, []).append(
                {"remaining": int(count), "status": int(status or 0), "delay_ms": int(delay_ms or 0)})

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def faults(self):
        with self._lock:
            return {k: [dict(f) for f in v] for k, v in self._faults.items() if v}

    def record_call(self, api):
        with self._lock:
            self.calls[api] += 1

    def record_delay(self, api):
        with self._lock:
            self.delayed[api] += 1

    def record_outcome(self, api, status):
        with self._lock:
            self.outcomes[api][str(status)] += 1

    def take_token(self, api):
        """False when a matching bucket is empty (every matching bucket is charged)."""
        with self._lock:
            ok = True
            for p in self._patterns(api):
                b = self._buckets.get(p)
                if b is not None and not b.take():
                    ok = False
            return ok

    def next_fault(self, api):
        """Consume one pending fault for this API: returns (status or 0, delay_ms) or None."""
        with self._lock:
            for p in self._patterns(api):
                lst = self._faults.get(p)
                if lst:
                    f = lst[0]
                    f["remaining"] -= 1
                    if f["remaining"] <= 0:
                        lst.pop(0)
                    return f["status"], f["delay_ms"]
            return None

    def snapshot(self, reset=False):
        with self._lock:
            out = {"calls": dict(self.calls),
                   "outcomes": {k: dict(v) for k, v in self.outcomes.items()},
                   "delayed": dict(self.delayed)}
            if reset:
                self.calls.clear()
                self.outcomes.clear()
                self.delayed.clear()
            return out
