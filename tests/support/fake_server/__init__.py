"""The fake app-server, in parts; `tests/support/fake_app_server.py` is its entry point."""
