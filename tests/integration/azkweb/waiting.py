"""Bounded condition waits shared by the integration tests."""

import time


def wait_for(predicate, timeout, what, interval=0.2):
    """predicate()'s first truthy value; TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("%s not reached within %.0f s" % (what, timeout))
        time.sleep(interval)
