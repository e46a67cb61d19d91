"""Render the configuration reference (every VA_ variable) from the settings classes.

``python -m services.common.settings_doc --write`` rewrites the table that
README.md carries between its ``<!-- config:begin -->`` and
``<!-- config:end -->`` markers; a unit test fails when the two drift apart.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from services.common.config import S3Settings, ServiceSettings

COMPONENTS = ("gateway", "stt", "intent", "rag", "tts", "fsm")
BEGIN, END = "<!-- config:begin -->", "<!-- config:end -->"
README = Path(__file__).resolve().parents[2] / "README.md"


def settings_classes() -> list[tuple[str, type[BaseSettings]]]:
    classes: list[tuple[str, type[BaseSettings]]] = [("all services", ServiceSettings), ("tts, rag", S3Settings)]
    for component in COMPONENTS:
        module = importlib.import_module(f"services.{component}.config")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseSettings) and value.__module__ == module.__name__:
                classes.append((component, value))
    return classes


def _default(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"`{text}`" if text else "(empty)"


def render() -> str:
    """One row per variable, naming every component that reads it."""
    rows: dict[str, tuple[str, list[str], str, str]] = {}
    for component, cls in settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        inherited = {
            name: field for base in cls.__mro__[:0:-1] for name, field in getattr(base, "model_fields", {}).items()
        }
        for name, field in cls.model_fields.items():
            if name in inherited and inherited[name].default == field.default:
                continue
            variable = f"{prefix}{name}".upper()
            key = f"{variable} {component}" if name in inherited else variable  # a component's own default
            if key in rows:
                rows[key][1].append(component)
                continue
            description = (field.description or "").replace("|", "\\|")
            rows[key] = (variable, [component], _default(field.default), description)
    lines = ["| variable | used by | default | meaning |", "|---|---|---|---|"]
    for variable, components, default, description in rows.values():
        lines.append(f"| `{variable}` | {', '.join(components)} | {default} | {description} |")
    return "\n".join(lines)


def write_readme(readme: Path = README) -> None:
    head, rest = readme.read_text().split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme()
    else:
        print(render())
