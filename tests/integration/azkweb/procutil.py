"""Child-process helpers shared by the MariaDB and executor fixtures."""

import ctypes
import signal

_PR_SET_PDEATHSIG = 1
try:
    # Loaded in the parent: the forked child only makes the call (no dlopen after fork).
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def die_with_parent():
    """preexec_fn: the child gets SIGKILL if the test process dies (e.g. a CTest timeout),
    so no server outlives an aborted run."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
