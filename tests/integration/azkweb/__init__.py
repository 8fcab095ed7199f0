"""Test-side stand-in for the Azkaban 3.81 web server.

Written from the specification (shared/spec/azkaban-wire.md), independently of the C++
executor, so that end-to-end tests check the executor against an outside view of the
contract rather than against its own code.
"""
