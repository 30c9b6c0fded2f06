"""Snapshot <-> versioned, gzip-compressed JSON.

The encoding is generic over the frozen dataclasses in :mod:`audit.model`: dataclasses become
objects, tuples lists, datetimes ISO 8601 strings, enums their values. Decoding walks the type
hints back, so a new model field needs no code here.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import types
import typing
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from audit.errors import SnapshotError
from audit.model import SCHEMA_VERSION, Snapshot
from audit.output import atomic_write_bytes

FORMAT_NAME = "iam-audit-snapshot"


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


@functools.cache
def _hints(tp: type) -> dict[str, Any]:
    # Resolving hints is costly; a 10,000-user snapshot decodes ~100k objects of a few types.
    return typing.get_type_hints(tp)


def _from_jsonable(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _from_jsonable(args[0], data)
    if tp is Any:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object for {tp.__name__}")
        hints = _hints(tp)
        kwargs = {
            f.name: _from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        return tp(**kwargs)
    # A file can be valid JSON and still the wrong shape: check each container's kind here,
    # or a dict iterates as its keys and a list fails with AttributeError far away.
    if origin is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        if not isinstance(data, list):
            raise TypeError(f"expected a list, got {type(data).__name__}")
        return tuple(_from_jsonable(item_tp, v) for v in data)
    if origin in (Mapping, dict, typing.Mapping):
        _key_tp, val_tp = typing.get_args(tp)
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        return {str(k): _from_jsonable(val_tp, v) for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is datetime:
        when = datetime.fromisoformat(data)
        # The model's datetimes are aware UTC; a naive one (hand-edited) can only mean UTC.
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if tp in (int, float, str, bool) and not isinstance(data, tp):
        if tp is float and isinstance(data, int):
            return float(data)
        raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
    return data


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    return {"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION, **to_jsonable(snapshot)}


def snapshot_from_dict(doc: Any) -> Snapshot:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise SnapshotError("not an iam-audit snapshot (no 'format: iam-audit-snapshot' field)")
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SnapshotError(
            f"snapshot schema version {version!r} is not supported "
            f"(this iam-audit reads version {SCHEMA_VERSION})"
        )
    try:
        snap = _from_jsonable(Snapshot, doc)
    except (TypeError, ValueError, KeyError) as exc:
        raise SnapshotError(f"snapshot is malformed: {exc}") from exc
    if not isinstance(snap, Snapshot):  # pragma: no cover - _from_jsonable returns Snapshot
        raise SnapshotError("snapshot is malformed")
    return snap


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """Deterministic bytes (sorted keys, fixed gzip mtime): same snapshot, same SHA-256."""
    text = json.dumps(snapshot_to_dict(snapshot), sort_keys=True, indent=1, ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def decode_snapshot(data: bytes) -> Snapshot:
    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"snapshot is not valid gzip/JSON: {exc}") from exc
    except RecursionError:
        raise SnapshotError("snapshot is not valid gzip/JSON: nested too deeply") from None
    return snapshot_from_dict(doc)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_snapshot(snapshot: Snapshot, path: Path) -> str:
    """Write atomically; return the SHA-256 of the file written."""
    data = encode_snapshot(snapshot)
    atomic_write_bytes(path, data)
    return sha256_hex(data)


def read_snapshot(path: Path) -> tuple[Snapshot, str]:
    """Return the snapshot and the SHA-256 of the file it came from."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SnapshotError(f"snapshot file not found: {path}") from exc
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc.strerror}") from exc
    return decode_snapshot(data), sha256_hex(data)
