"""Snapshot <-> versioned, gzip-compressed JSON; organization snapshots likewise, own format.

The encoding is generic over the frozen dataclasses in :mod:`audit.model` and
:mod:`audit.model_org`: dataclasses become
objects, tuples lists, datetimes ISO 8601 strings, enums their values. Decoding walks the type
hints back, so a new model field needs no code here.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import os
import types
import typing
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Generic, TypeVar

from audit.errors import InputError, SnapshotError
from audit.model import SCHEMA_VERSION, Snapshot
from audit.model_org import ORG_SCHEMA_VERSION, OrgSnapshot
from audit.output import atomic_write_bytes

FORMAT_NAME = "iam-audit-snapshot"
ORG_FORMAT_NAME = "iam-audit-organization-snapshot"
ORGANIZATION_FILE_NAME = "organization.json.gz"
# A snapshot is refused beyond this many bytes of JSON: a gzip bomb (or a wrong file) must not
# take all the memory. 2 GiB is ~10x a 10,000-user account's snapshot.
DEFAULT_MAX_SNAPSHOT_BYTES = 2 * 1024**3
MAX_BYTES_VARIABLE = "IAM_AUDIT_MAX_SNAPSHOT_BYTES"
_GZIP_MAGIC = b"\x1f\x8b"

_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True)
class _Kind(Generic[_T]):
    """One kind of file: its top-level dataclass, format name and schema version."""

    cls: type[_T]
    format_name: str
    schema_version: int
    label: str  # in messages: "snapshot is malformed: ..."


_ACCOUNT = _Kind(Snapshot, FORMAT_NAME, SCHEMA_VERSION, "snapshot")
_ORGANIZATION = _Kind(OrgSnapshot, ORG_FORMAT_NAME, ORG_SCHEMA_VERSION, "organization snapshot")
_KINDS: tuple[_Kind[Any], ...] = (_ACCOUNT, _ORGANIZATION)


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


def _from_document(doc: Any, kind: _Kind[_T]) -> _T:
    if not isinstance(doc, dict) or doc.get("format") != kind.format_name:
        other = next(
            (k for k in _KINDS if isinstance(doc, dict) and doc.get("format") == k.format_name),
            None,
        )
        hint = f": it is an iam-audit {other.label}" if other else ""
        raise SnapshotError(
            f"not an iam-audit {kind.label} (no 'format: {kind.format_name}' field){hint}"
        )
    version = doc.get("schema_version")
    if version != kind.schema_version:
        raise SnapshotError(
            f"{kind.label} schema version {version!r} is not supported "
            f"(this iam-audit reads version {kind.schema_version})"
        )
    try:
        value = _from_jsonable(kind.cls, doc)
    except (TypeError, ValueError, KeyError) as exc:
        raise SnapshotError(f"{kind.label} is malformed: {exc}") from exc
    if not isinstance(value, kind.cls):  # pragma: no cover - _from_jsonable returns kind.cls
        raise SnapshotError(f"{kind.label} is malformed")
    return value


def snapshot_from_dict(doc: Any) -> Snapshot:
    return _from_document(doc, _ACCOUNT)


def _encode(document: dict[str, Any]) -> bytes:
    """Deterministic bytes (sorted keys, fixed gzip mtime): same content, same SHA-256."""
    text = json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), mtime=0)


class SnapshotTooLarge(SnapshotError):
    """More JSON than the limit (``max_bytes``, IAM_AUDIT_MAX_SNAPSHOT_BYTES, 2 GiB)."""


def max_snapshot_bytes() -> int:
    """The limit: IAM_AUDIT_MAX_SNAPSHOT_BYTES when set, else 2 GiB."""
    value = os.environ.get(MAX_BYTES_VARIABLE, "").strip()
    if not value:
        return DEFAULT_MAX_SNAPSHOT_BYTES
    try:
        limit = int(value.replace("_", ""))
    except ValueError:
        limit = 0
    if limit <= 0:
        raise InputError(f"{MAX_BYTES_VARIABLE} is {value!r}: expected a number of bytes")
    return limit


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress every gzip member, stopping (SnapshotTooLarge) once past ``limit`` bytes."""
    out: list[bytes] = []
    total = 0
    rest = data
    while rest:
        member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        # max_length: never inflate more than one byte past the limit, whatever the ratio.
        chunk = member.decompress(rest, limit - total + 1)
        total += len(chunk)
        if total > limit:
            raise SnapshotTooLarge(f"over {limit:,} bytes uncompressed")
        if not member.eof:
            raise EOFError("compressed file ended before the end-of-stream marker was reached")
        out.append(chunk)
        rest = member.unused_data
        if rest and not rest.startswith(_GZIP_MAGIC):
            raise OSError("trailing data after the last gzip member")
    return b"".join(out)


def _decode(data: bytes, label: str, max_bytes: int | None = None) -> Any:
    limit = max_bytes if max_bytes is not None else max_snapshot_bytes()
    try:
        if data[:2] == _GZIP_MAGIC:
            raw = _gunzip(data, limit)
        elif len(data) > limit:
            raise SnapshotTooLarge(f"over {limit:,} bytes")
        else:
            raw = data
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{label} is not valid gzip/JSON: {exc}") from exc
    except RecursionError:
        raise SnapshotError(f"{label} is not valid gzip/JSON: nested too deeply") from None
    # json.loads accepts a lone \uD800-\uDFFF escape, and no report could then encode the
    # text. Such escapes are rare (this writer emits none): only then walk every string.
    if b"\\ud" in raw or b"\\uD" in raw:
        _refuse_lone_surrogates(doc, label)
    return doc


def _refuse_lone_surrogates(doc: Any, label: str) -> None:
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                code = ord(item[exc.start])
                raise SnapshotError(
                    f"{label} is malformed: a string holds a lone surrogate (\\u{code:04x}), "
                    "not text"
                ) from None


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """Deterministic bytes (sorted keys, fixed gzip mtime): same snapshot, same SHA-256."""
    return _encode(snapshot_to_dict(snapshot))


def decode_snapshot(data: bytes, max_bytes: int | None = None) -> Snapshot:
    """``max_bytes``: refuse more JSON than this (default: :func:`max_snapshot_bytes`)."""
    return snapshot_from_dict(_decode(data, "snapshot", max_bytes))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_snapshot(snapshot: Snapshot, path: Path) -> str:
    """Write atomically; return the SHA-256 of the file written."""
    data = encode_snapshot(snapshot)
    atomic_write_bytes(path, data)
    return sha256_hex(data)


def _read_bytes(path: Path, label: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SnapshotError(f"{label} file not found: {path}") from exc
    except OSError as exc:
        raise SnapshotError(f"cannot read {label} {path}: {exc.strerror}") from exc


def _too_large(path: Path, label: str, exc: SnapshotTooLarge) -> SnapshotTooLarge:
    return SnapshotTooLarge(
        f"{label} {path} is too large: {exc} (raise the limit with {MAX_BYTES_VARIABLE})"
    )


def read_snapshot(path: Path, max_bytes: int | None = None) -> tuple[Snapshot, str]:
    """Return the snapshot and the SHA-256 of the file it came from.

    ``max_bytes``: refuse a snapshot of more JSON than this, compressed or not (default: the
    IAM_AUDIT_MAX_SNAPSHOT_BYTES variable, else 2 GiB): SnapshotError, exit 2.
    """
    data = _read_bytes(path, "snapshot")
    try:
        return decode_snapshot(data, max_bytes), sha256_hex(data)
    except SnapshotTooLarge as exc:
        raise _too_large(path, "snapshot", exc) from None


# --- organization snapshots (issue 9): their own format name and file ------------------------


def organization_to_dict(org: OrgSnapshot) -> dict[str, Any]:
    return {"format": ORG_FORMAT_NAME, "schema_version": ORG_SCHEMA_VERSION, **to_jsonable(org)}


def organization_from_dict(doc: Any) -> OrgSnapshot:
    return _from_document(doc, _ORGANIZATION)


def encode_organization(org: OrgSnapshot) -> bytes:
    return _encode(organization_to_dict(org))


def decode_organization(data: bytes) -> OrgSnapshot:
    return organization_from_dict(_decode(data, "organization snapshot"))


def write_organization(org: OrgSnapshot, path: Path) -> str:
    """Write atomically (conventionally ``ORGANIZATION_FILE_NAME``); return the SHA-256."""
    data = encode_organization(org)
    atomic_write_bytes(path, data)
    return sha256_hex(data)


def read_organization(path: Path) -> tuple[OrgSnapshot, str]:
    data = _read_bytes(path, "organization snapshot")
    try:
        return decode_organization(data), sha256_hex(data)
    except SnapshotTooLarge as exc:
        raise _too_large(path, "organization snapshot", exc) from None


def dataclass_from_jsonable(cls: type[_T], data: Any) -> _T:
    """A model dataclass back from :func:`to_jsonable`'s output (other organization-run files).

    Raises SnapshotError naming the class when ``data`` has the wrong shape.
    """
    try:
        value = _from_jsonable(cls, data)
    except (TypeError, ValueError, KeyError) as exc:
        raise SnapshotError(f"{cls.__name__} is malformed: {exc}") from exc
    if not isinstance(value, cls):
        raise SnapshotError(f"{cls.__name__} is malformed")
    return value
