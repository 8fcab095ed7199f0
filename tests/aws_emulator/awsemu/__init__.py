"""AWS emulator for the azkaban-executor tests (see ../README.md)."""
