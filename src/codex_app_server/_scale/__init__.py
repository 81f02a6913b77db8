"""Running many Codex tasks: app-server pools, batch runs, the Ray backend, `codex-py batch`.

Private: the public names live in `codex_app_server` (`CodexPool`, `AsyncCodexPool`) and
`codex_app_server.batch`. Nothing here is imported by `import codex_app_server`.
"""
