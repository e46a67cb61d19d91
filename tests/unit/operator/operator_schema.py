"""What the API server does with a VoiceAgent before the operator sees it, offline.

Structural defaulting, OpenAPI validation (with jsonschema) and the CEL
``x-kubernetes-validations`` rules (with the ``cel`` package, the Rust CEL
implementation), walked the way the API server walks them.
"""

from __future__ import annotations

import copy
from typing import Any

import cel
import jsonschema
from voiceagent_operator.crd import build_crd

Schema = dict[str, Any]


def openapi_schema() -> Schema:
    schema: Schema = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def apply_defaults(schema: Schema, value: Any) -> Any:
    """Fill missing fields with their ``default``, top-down, as the API server does on admission."""
    if isinstance(value, dict) and schema.get("type") == "object":
        for name, sub in (schema.get("properties") or {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                value[name] = apply_defaults(sub, value[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in set(value) - set(schema.get("properties") or {}):
                value[name] = apply_defaults(extra, value[name])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(schema["items"], item) for item in value]
    return value


def cel_violations(schema: Schema, value: Any, path: str = "") -> list[str]:
    """Messages of every failing CEL rule in ``schema`` for ``value``."""
    failures = []
    for rule in schema.get("x-kubernetes-validations") or []:
        if not cel.evaluate(rule["rule"], {"self": value}):
            failures.append(f"{path or '<root>'}: {rule['message']}")
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                failures += cel_violations(sub, value[name], f"{path}.{name}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            failures += cel_violations(schema["items"], item, f"{path}[{index}]")
    return failures


def admit(obj: dict[str, Any]) -> dict[str, Any]:
    """Default and validate ``obj`` like the API server; raise ``ValueError`` listing every problem."""
    schema = openapi_schema()
    defaulted = apply_defaults(schema, copy.deepcopy(obj))
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(defaulted)
    ]
    problems += cel_violations(schema, defaulted)
    if problems:
        raise ValueError("; ".join(sorted(problems)))
    return defaulted
