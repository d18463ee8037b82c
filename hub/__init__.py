"""The hub service and the hall bus protocol its clients speak (see protocol.py)."""
