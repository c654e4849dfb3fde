"""Every documented setting does something: each settings field is read outside smsd/config/.

A field parsed, documented and tested but read by no other module is a promise the daemon does
not keep. This test reads the code (AST): each field of each settings dataclass must appear as an
attribute read (``x.<field>``) in some module of ``smsd`` outside ``smsd/config/``.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

from smsd.config import doors, inbound, settings

PACKAGE = Path(settings.__file__).resolve().parent.parent


def _settings_fields() -> list[tuple[str, str]]:
    found = []
    for module in (settings, inbound, doors):
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and dataclasses.is_dataclass(value)
                and value.__module__ == module.__name__
            ):
                found.extend((name, field.name) for field in dataclasses.fields(value))
    return found


def _attributes_read() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "config" in path.relative_to(PACKAGE).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
        )
    return names


def test_every_settings_field_is_read_outside_config() -> None:
    fields = _settings_fields()
    assert len(fields) > 20  # the walk found the settings classes
    read = _attributes_read()
    unread = [f"{cls}.{field}" for cls, field in fields if field not in read]
    assert unread == [], f"settings no module outside smsd/config/ reads: {unread}"
