"""Layering of smsd.at: only transport.py touches asyncio; nothing imports smsd.pdu."""

import ast
import subprocess
import sys
from pathlib import Path

import smsd.at

AT_DIR = Path(smsd.at.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_transport_imports_asyncio_and_none_imports_pdu():
    for path in sorted(AT_DIR.glob("*.py")):
        names = imported_modules(path)
        roots = {name.split(".")[0] for name in names}
        if path.name != "transport.py":
            assert "asyncio" not in roots, path.name
            assert not roots & {"serial", "serial_asyncio_fast", "structlog", "aiohttp"}, path.name
        assert not any(name.startswith("smsd.pdu") for name in names), path.name
        assert all(name.startswith("smsd.at") for name in names if name.startswith("smsd")), (
            path.name
        )


def test_sans_io_modules_load_without_asyncio():
    code = (
        "import sys; import smsd.at, smsd.at.commands, smsd.at.channel;"
        "sys.exit('asyncio' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)
    assert result.returncode == 0, result.stderr
