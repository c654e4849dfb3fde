"""The layers stay honest: import contracts, no I/O in pure code, subpackages import alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "smsd"
SUBPACKAGES = [
    "smsd.pdu",
    "smsd.at",
    "smsd.modem",
    "smsd.store",
    "smsd.runtime",
    "smsd.api",
    "smsd.api.gatewaysms",
    "smsd.api.smsgateway24",
    "smsd.reassembly",
    "smsd.errors",
    "smsd.log",
    "smsd.phpvalues",
    "smsd.config",
    "smsd.templating",
    "smsd.windows",
    "smsd.mqtt",
    "smsd.matching",
    "smsd.mailin",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _pure_modules() -> list[Path]:
    pdu = sorted((PACKAGE / "pdu").glob("*.py"))
    at = [p for p in sorted((PACKAGE / "at").glob("*.py")) if p.name != "transport.py"]
    return [*pdu, *at, PACKAGE / "reassembly.py"]


@pytest.mark.parametrize("path", _pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_do_no_io(path: Path) -> None:
    forbidden = {
        "asyncio",
        "aiohttp",
        "aiosqlite",
        "serial",
        "serial_asyncio_fast",
        "structlog",
        "socket",
    }
    assert not (_imports(path) & forbidden)


def test_codec_uses_only_the_standard_library() -> None:
    for path in (PACKAGE / "pdu").glob("*.py"):
        foreign = {
            name
            for name in _imports(path)
            if name != "smsd" and name not in sys.stdlib_module_names and name != "__future__"
        }
        assert not foreign, f"{path.name} imports {foreign}"


@pytest.mark.parametrize("module", SUBPACKAGES)
def test_subpackage_imports_alone(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.skip("import-linter is not installed in this environment")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_shadows_the_standard_library() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.stem not in {"__init__", "__main__"}:
            assert path.stem not in sys.stdlib_module_names, path
