"""The protocol artifact generator behind ``scripts/update_sdk_artifacts.py``.

* ``schema``: dump and merge the runtime's JSON Schema, reshape it for the model generator;
* ``models``: run datamodel-code-generator, make unions RootModels, index the output;
* ``split``: split the models by dependency closure behind the lazy ``v2_all``;
* ``registries``: the method tables (notifications, requests, method constants);
* ``client_methods``: the typed client methods, one template with async/await slots;
* ``verify``: check the generated models against the schema;
* ``cli``: generate or ``--check``.
"""
