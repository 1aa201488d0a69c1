"""Flux objects checked against Flux's own CRD schemas, as an API server would check them.

``flux_crds.json`` beside this file is the v1 ``openAPIV3Schema`` of the GitRepository,
OCIRepository, Bucket, ExternalArtifact (fluxcd/source-controller) and Kustomization
(fluxcd/kustomize-controller) CRDs, trimmed to the fields the bot reads and the sandbox writes; its
``sources`` name the commits it was cut from. :func:`problems` checks the parts of OpenAPI v3 those
schemas use (type, required, properties, items, enum, pattern, date-time, lengths, minimum) and
also names fields the schema does not have, which a real API server would silently prune.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

_DOCUMENT = json.loads((Path(__file__).parent / "flux_crds.json").read_text(encoding="utf-8"))
_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "boolean": bool,
}


def problems(group: str, plural: str, body: dict[str, Any]) -> list[str]:
    """What is wrong with ``body`` as a v1 ``plural`` of ``group``: [] when the CRD accepts it."""
    entry = _DOCUMENT["kinds"][f"{group}/v1/{plural}"]
    found = [] if body.get("kind") in (None, entry["kind"]) else [f"kind: not {entry['kind']}"]
    return found + _check(entry["schema"], body, "")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = _DOCUMENT["definitions"][ref.rsplit("/", 1)[1]]
    return resolved


def _check(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = _resolve(schema)
    kind = schema.get("type")
    if kind is not None and (
        not isinstance(value, _TYPES[kind]) or (kind == "integer" and isinstance(value, bool))
    ):
        return [f"{where or '.'}: not {kind}: {value!r}"]
    if isinstance(value, dict):
        return _check_object(schema, value, where)
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in _check(schema.get("items", {}), item, f"{where}[{i}]")
        ]
    return _check_scalar(schema, value, where)


def _check_object(schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
    found = [f"{where}.{name}: required" for name in schema.get("required", []) if name not in value]
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    for name, item in value.items():
        path = f"{where}.{name}"
        if properties is not None and name in properties:
            found += _check(properties[name], item, path)
        elif isinstance(extra, dict):
            found += _check(extra, item, path)
        elif properties is not None:
            found.append(f"{path}: not in the schema (an API server would prune it)")
    return found


def _check_scalar(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            found.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            found.append(f"{where}: length {len(value)} out of bounds")
        if schema.get("format") == "date-time" and not _is_date_time(value):
            found.append(f"{where}: {value!r} is not an RFC 3339 date-time")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        found.append(f"{where}: {value} below {schema['minimum']}")
    return found


def _is_date_time(value: str) -> bool:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value) is None:
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True
