"""Locations of shared reference data and build outputs, relative to this checkout."""

import os
import unittest

# tests/integration/azkweb -> repository root
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def shared_dir():
    """The `shared` folder next to the repository (spec + reference data), or None."""
    for candidate in (os.path.join(REPO_ROOT, "..", "shared"), os.path.join(REPO_ROOT, "shared")):
        if os.path.isdir(candidate):
            return os.path.abspath(candidate)
    return None


def reference_dir():
    shared = shared_dir()
    if shared is None:
        return None
    ref = os.path.join(shared, "reference", "azkaban-3.81.0")
    return ref if os.path.isdir(ref) else None


def require_reference():
    """Reference folder (sql/ + execution-test-data/) or SkipTest with the reason."""
    ref = reference_dir()
    if ref is None or not os.path.isdir(os.path.join(ref, "sql")):
        raise unittest.SkipTest(
            "shared/reference/azkaban-3.81.0 not found next to the repository; "
            "the integration tests need the 3.81 schema files")
    return ref


def reference_project(name):
    return os.path.join(require_reference(), "execution-test-data", name)
