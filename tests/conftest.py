"""Shared test configuration.

The `scripted_model` and `codex_config` fixtures come from the package's own pytest plugin
(`codex_app_server.testing.pytest_plugin`, registered as a pytest11 entry point).
"""
