"""Deciding what to apply and what to delete: desired children vs. what the cluster holds.

The API server adds defaults to everything (``imagePullPolicy``, probe
thresholds, ``clusterIP``...), and other controllers own some fields (the HPA
owns ``replicas``), so "in sync" means *every field we render has the same value
live*, not equality. Quantities are compared by value (``0.5`` == ``500m``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from voiceagent_operator import kinds

_QUANTITY = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([a-zA-Z]{0,2}|[eE][+-]?\d+)$")
_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    **{suffix: Decimal(10) ** (3 * power) for power, suffix in enumerate("kMGTPE", start=1)},
    **{f"{suffix}i": Decimal(2) ** (10 * power) for power, suffix in enumerate("KMGTPE", start=1)},
}


def quantity(value: Any) -> Decimal | None:
    """The numeric value of a Kubernetes quantity (``"500m"``, ``"1Gi"``, ``2``), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    match = _QUANTITY.match(str(value))
    if match is None:
        return None
    number, suffix = match.groups()
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number + suffix)
        if suffix not in _SUFFIXES:
            return None
        return Decimal(number) * _SUFFIXES[suffix]
    except InvalidOperation:
        return None


def matches(desired: Any, live: Any) -> bool:
    """Whether every field of ``desired`` is present in ``live`` with the same value."""
    if isinstance(desired, Mapping):
        return isinstance(live, Mapping) and all(
            key in live and matches(value, live[key]) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(desired) == len(live)
            and all(matches(d, v) for d, v in zip(desired, live, strict=True))
        )
    if desired == live:
        return True
    wanted, actual = quantity(desired), quantity(live)
    return wanted is not None and wanted == actual


Key = tuple[str, str]


def key_of(obj: Mapping[str, Any]) -> Key:
    return obj["kind"], obj["metadata"]["name"]


def controlled_by(obj: Mapping[str, Any], uid: str) -> bool:
    return any(
        ref.get("uid") == uid and ref.get("controller")
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []
    )


@dataclass
class Plan:
    apply: list[dict[str, Any]] = field(default_factory=list)
    delete: list[Mapping[str, Any]] = field(default_factory=list)
    missing: list[Key] = field(default_factory=list)
    drifted: list[Key] = field(default_factory=list)


def plan(desired: Sequence[dict[str, Any]], live: Iterable[Mapping[str, Any]], owner_uid: str) -> Plan:
    """Apply what is missing or differs; delete what this agent controls but no longer renders.

    Only objects whose controller ownerReference is this agent are ever deleted,
    whatever their labels say; Jobs are never pruned (they expire by TTL).
    """
    prunable = {kind.kind for kind in kinds.PRUNABLE_KINDS}
    current = {key_of(obj): obj for obj in live}
    result = Plan()
    for obj in desired:
        existing = current.get(key_of(obj))
        if existing is None:
            result.missing.append(key_of(obj))
            result.apply.append(obj)
        elif not matches(obj, existing):
            result.drifted.append(key_of(obj))
            result.apply.append(obj)
    wanted = {key_of(obj) for obj in desired}
    for key, child in sorted(current.items()):
        if key not in wanted and key[0] in prunable and controlled_by(child, owner_uid):
            result.delete.append(child)
    return result
