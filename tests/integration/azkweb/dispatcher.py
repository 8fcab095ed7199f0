"""The 3.81 web server's submission and push-mode queue processor as a background thread.

For tests that keep dispatching while executors come and go (test_rotation). Every choice
re-reads the active `executors` rows, as the web does after `reloadExecutors` (wire spec
2.3.6); every attempt is recorded with a sequence number from a shared Timeline.
"""

import collections
import threading
import time
import traceback

from .webdriver import ExecutorCallError, WebDriver, now_ms


class Timeline:
    """A global order of dispatch choices and rotation events.

    The dispatcher reads the executors table, picks a target and takes a sequence number all
    under `lock`; the rotation takes one under the same lock when it declares an executor
    dead. An attempt numbered after a death therefore chose from a table read after it.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self._seq = 0
        self.events = []  # (seq, kind, executor id, detail)

    def next_seq(self):  # with `lock` held
        self._seq += 1
        return self._seq

    def mark(self, kind, executor_id, detail=""):
        with self.lock:
            seq = self.next_seq()
            self.events.append((seq, kind, executor_id, detail))
            return seq

    def seq_of(self, kind, executor_id):
        return next(s for s, k, e, _ in self.events if k == kind and e == executor_id)


class Dispatcher:
    """The 3.81 web's submission and queue processor (wire spec 2.3.2), in one thread.

    Submits an execution built by `build_flow` every `interval` seconds while creating, and
    dispatches the queue head: the active rows are re-read before every choice, the executor
    least recently dispatched to comes first (LastDispatched), a failed `execute` un-assigns
    the execution (webdriver.dispatch) and the next executor is tried; when every active
    executor failed once the execution goes back to the queue head. After MAX_ERRORS failed
    dispatches the web would finalise it as FAILED; recorded in `gave_up` (the test wants none).
    """

    MAX_ERRORS = 12

    def __init__(self, db, timeline, updater, build_flow, interval=0.25):
        self.web = WebDriver(db)  # own connection: used by the dispatcher thread only
        self.timeline = timeline
        self.updater = updater
        self.build_flow = build_flow  # () -> a fresh flow_data document
        self.interval = interval
        self.lock = threading.Lock()  # queue, records
        self.queue = collections.deque()  # (exec id, flow)
        self.created = []
        self.attempts = []  # dicts: seq, start, end, exec_id, executor_id, endpoint, ok, error
        self.dispatched = {}  # exec id -> Executor it runs on
        self.errors = collections.Counter()  # exec id -> failed dispatches
        self.gave_up = []
        self.thread_errors = []
        self._last_success = {}  # executor id -> sequence of the last successful dispatch
        self._creating = threading.Event()
        self._creating.set()
        self._stop = threading.Event()
        self._thread = None

    # -- control (test thread) -------------------------------------------------------------
    def start(self):
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self._thread.start()

    def enqueue_front(self, exec_id, flow):
        """An execution the test submitted itself (e.g. pinned with useExecutor)."""
        with self.lock:
            self.created.append(exec_id)
            self.queue.appendleft((exec_id, flow))

    def finish(self, timeout=30.0):
        """Stop creating; dispatch what is queued; stop the thread. False on timeout."""
        self._creating.clear()
        deadline = time.monotonic() + timeout
        try:
            while self.queue_snapshot() or self._busy:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
            return True
        finally:
            self.stop()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None
        self.web.close()

    def queue_snapshot(self):
        with self.lock:
            return [e for e, _ in self.queue]

    def attempts_to(self, executor_id, ok=None):
        with self.lock:
            return [a for a in self.attempts if a["executor_id"] == executor_id and
                    (ok is None or a["ok"] == ok)]

    # -- the thread ------------------------------------------------------------------------
    _busy = False

    def _run(self):
        next_create = time.monotonic()
        while not self._stop.is_set():
            try:
                if self._creating.is_set() and time.monotonic() >= next_create:
                    self._create()
                    next_create = time.monotonic() + self.interval
                with self.lock:
                    item = self.queue.popleft() if self.queue else None
                    self._busy = item is not None
                if item is not None:
                    done = self._dispatch(*item)
                    with self.lock:
                        if not done:
                            self.queue.appendleft(item)
                        self._busy = False
                    if not done:
                        self._stop.wait(0.2)  # the web sleeps after a failed round
                    continue
                delay = next_create - time.monotonic() if self._creating.is_set() else 0.05
                self._stop.wait(min(max(delay, 0.0), 0.05))
            except Exception:  # noqa: BLE001 - recorded, the test fails on it
                self.thread_errors.append(traceback.format_exc())
                self.web.close()
                with self.lock:
                    self._busy = False
                self._stop.wait(0.2)

    def _create(self):
        flow = self.build_flow()
        exec_id = self.web.submit(flow, push=True)
        with self.lock:
            self.created.append(exec_id)
            self.queue.append((exec_id, flow))

    def _choose(self, flow, tried):
        """Re-read the table (reloadExecutors) and pick; None when nothing is left."""
        pinned = flow["executionOptions"]["flowParameters"].get("useExecutor")
        if pinned is not None:
            # useExecutor: that executor, looked up by id even if inactive (2.3.2).
            target = self.web.executor_by_id(int(pinned))
            return target if target is not None and target.id not in tried else None
        candidates = [e for e in self.web.active_executors() if e.id not in tried]
        candidates.sort(key=lambda e: (self._last_success.get(e.id, 0), e.id))
        return candidates[0] if candidates else None

    def _dispatch(self, exec_id, flow):
        """True when the execution was dispatched (or given up), False: back into the queue."""
        tried = set()
        while True:
            with self.timeline.lock:
                target = self._choose(flow, tried)
                if target is None:
                    return False
                seq = self.timeline.next_seq()
            record = {"seq": seq, "start": now_ms(), "exec_id": exec_id,
                      "executor_id": target.id, "endpoint": "%s:%s" % (target.host, target.port),
                      "ok": False, "error": None}
            try:
                record["reply"] = self.web.dispatch(exec_id, target)
                record["ok"] = True  # the web's rule: no error is success (2.1)
            except (ExecutorCallError, OSError) as e:
                record["error"] = "%s: %s" % (type(e).__name__, e)
            record["end"] = now_ms()
            with self.lock:
                self.attempts.append(record)
            if record["ok"]:
                self.updater.track(exec_id, target, flow)
                with self.lock:
                    self.dispatched[exec_id] = target
                self._last_success[target.id] = seq
                return True
            tried.add(target.id)
            self.errors[exec_id] += 1
            if self.errors[exec_id] >= self.MAX_ERRORS:
                self.web.finalize(exec_id, flow)  # what the web does at maxDispatchingErrors
                with self.lock:
                    self.gave_up.append(exec_id)
                return True
