"""The generator's entry point: dump the schema, generate every artifact, write or check."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .client_methods import render_client_methods
from .common import (
    GENERATED_DIR,
    GENERATED_HEADER,
    PYPROJECT,
    REPO_ROOT,
    TOP_BUNDLE,
    V2_BUNDLE,
    GenerationError,
    load_json,
    run,
)
from .models import ModelIndex, generate_models, reshape_models
from .registries import (
    build_registries,
    render_methods,
    render_notification_registry,
    render_protocol_registry,
)
from .schema import fix_variant_field_case, merged_definitions, prepare_schema
from .split import split_models
from .verify import verify_models, verify_split


def default_codex_bin() -> Path:
    try:
        import codex_cli_bin
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise GenerationError(
            "openai-codex-cli-bin is not installed; pass --codex-bin PATH"
        ) from exc
    return Path(codex_cli_bin.bundled_codex_path())


def codex_version(codex_bin: Path) -> str:
    return run([str(codex_bin), "--version"]).strip()


def dump_schema(codex_bin: Path, out: Path, *, experimental: bool) -> None:
    cmd = [str(codex_bin), "app-server", "generate-json-schema", "--out", str(out)]
    if experimental:
        cmd.append("--experimental")
    run(cmd)


INIT_SOURCE = '''"""Code generated from the Codex app-server JSON Schema.

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
'''


def ruff(*args: str) -> None:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    run([*cmd, *args])


def ruff_fix_and_format(lint: list[Path], format_only: list[Path]) -> None:
    """Lint-fix (import order) and format with the project's ruff settings."""
    config = ["--config", str(PYPROJECT)]
    files = [str(p) for p in lint]
    ruff("format", "--quiet", *config, *files, *map(str, format_only))
    if not files:
        return
    # long dict entries ("a_very_long_field_name": a_very_long_field_name) cannot be split
    ruff("check", "--quiet", "--select", "E501", "--add-noqa", *config, *files)
    ruff("check", "--fix", "--quiet", *config, *files)
    ruff("format", "--quiet", *config, *files)


def generate(codex_bin: Path, out_dir: Path, *, verbose: bool = True) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="codex-sdk-gen-") as tmp:
        tmpdir = Path(tmp)
        schema_dir = tmpdir / "experimental"
        stable_dir = tmpdir / "stable"
        dump_schema(codex_bin, schema_dir, experimental=True)
        dump_schema(codex_bin, stable_dir, experimental=False)
        version = codex_version(codex_bin)
        header = GENERATED_HEADER.format(codex_version=version)

        original = fix_variant_field_case(
            merged_definitions(
                load_json(schema_dir / V2_BUNDLE), load_json(schema_dir / TOP_BUNDLE)
            )
        )
        prepared, tagged = prepare_schema(original)
        registries, unresolved = build_registries(schema_dir, stable_dir, original)

        models_source, root_models = reshape_models(generate_models(prepared, tmpdir, header))
        monolith = tmpdir / "v2_all_monolith.py"
        monolith.write_text(models_source, encoding="utf-8")
        ruff_fix_and_format([], [monolith])
        models_source = monolith.read_text(encoding="utf-8")
        index = ModelIndex(models_source)
        verify_models(monolith, index, original, prepared, tagged)
        stable = fix_variant_field_case(
            merged_definitions(
                load_json(stable_dir / V2_BUNDLE), load_json(stable_dir / TOP_BUNDLE)
            ),
            required=False,
        )
        client_files, notes = render_client_methods(registries, index, original, stable, header)
        split = split_models(models_source, header)

        files = {
            "__init__.py": INIT_SOURCE,
            "v2_all.py": split.lazy,
            "v2_all.pyi": split.stub,
            "notification_registry.py": render_notification_registry(registries, header),
            "protocol_registry.py": render_protocol_registry(registries, header),
            "methods.py": render_methods(registries, header),
            **client_files,
            **{f"models/{name}": text for name, text in split.modules.items()},
        }
        written = write_files(out_dir, files)
        ruff_fix_and_format(
            [p for n, p in written.items() if not n.startswith(("models/", "v2_all"))],
            [p for n, p in written.items() if n.startswith(("models/", "v2_all"))],
        )
        verify_split(out_dir, split.name_to_module)
        notes.append(f"{len(root_models)} unions generated as RootModels")
        notes.append(f"{len(split.modules)} model modules")

    if verbose:
        print(f"schema of {version}: {len(original)} definitions, {len(tagged)} tagged unions")
        if unresolved:
            print(
                "client methods whose response model the schema does not name "
                f"(typed as Any): {', '.join(unresolved)}"
            )
        for note in notes:
            print(f"note: {note}")
    return written


def write_files(out_dir: Path, files: dict[str, str]) -> dict[str, Path]:
    """Write the files (relative names) under ``out_dir``; remove stale model modules."""
    models_dir = out_dir / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    for stale in models_dir.glob("*.py"):
        if f"models/{stale.name}" not in files:
            stale.unlink()
    written = {}
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written[name] = path
    return written


def generated_files(directory: Path) -> set[str]:
    """The generated files present in a directory, by relative name."""
    names = {p.name for p in directory.glob("*.py*") if p.suffix in (".py", ".pyi")}
    names |= {f"models/{p.name}" for p in (directory / "models").glob("*.py")}
    return names


def display(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def check(codex_bin: Path, target: Path) -> int:
    """Regenerate into a temporary directory; 1 if ``target`` differs, else 0."""
    with tempfile.TemporaryDirectory(prefix="codex-sdk-check-") as tmp:
        fresh = generate(codex_bin, Path(tmp), verbose=False)
        differ = []
        for name, path in sorted(fresh.items()):
            committed = target / name
            if not committed.is_file() or committed.read_bytes() != path.read_bytes():
                differ.append(display(committed))
        extra = sorted(generated_files(target) - set(fresh)) if target.is_dir() else []
        differ += [display(target / name) + " (not generated any more)" for name in extra]
    if differ:
        print("generated files are out of date:")
        for name in differ:
            print(f"  {name}")
        print("run: python scripts/update_sdk_artifacts.py")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Regenerate the protocol artifacts in src/codex_app_server/generated/."
    )
    parser.add_argument(
        "--codex-bin",
        type=Path,
        default=None,
        help="codex binary whose schema to use (default: the one bundled in openai-codex-cli-bin)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and exit 1 if the committed files differ",
    )
    parser.add_argument(
        "--generated-dir",
        type=Path,
        default=GENERATED_DIR,
        help=f"directory to write or check (default: {display(GENERATED_DIR)})",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        codex_bin = args.codex_bin or default_codex_bin()
        if args.check:
            status = check(codex_bin, args.generated_dir)
            if status == 0:
                print(f"generated files are up to date ({time.monotonic() - started:.1f}s)")
            return status
        generate(codex_bin, args.generated_dir)
        print(f"wrote {display(args.generated_dir)} ({time.monotonic() - started:.1f}s)")
        return 0
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
