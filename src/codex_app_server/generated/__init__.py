"""Code generated from the Codex app-server JSON Schema.

Do not edit: regenerate with ``python scripts/update_sdk_artifacts.py`` (``--check`` to
verify). Modules:

* ``v2_all``: pydantic v2 models of every protocol definition, each loaded on first access
  of its name from ``models/`` (split by dependency closure; ``v2_all.pyi`` types them);
* ``methods``: every method name as a constant, and derived sets (turn-starting methods);
* ``notification_registry``: notification method -> params model, turn/thread id paths;
* ``protocol_registry``: client/server request methods -> params/response model names;
* ``client_methods_sync``, ``client_methods_async``: the typed client method mixins, one
  module each (``client_methods`` re-exports both).

Importing this package imports none of them.
"""
