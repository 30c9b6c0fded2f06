"""Small normalisers shared by collectors: policy documents and datetimes as AWS sends them."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def policy_document(value: object) -> Mapping[str, Any]:
    """A policy document as a dict, whichever way it arrived.

    Real AWS sends URL-encoded JSON strings (botocore usually decodes them, but not for every
    shape); moto sends dicts. Raises ValueError for anything that is not a JSON object.
    """
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str):
        raise ValueError(f"policy document is a {type(value).__name__}, not a JSON object")
    text = value.strip()
    # URL-encoded JSON starts with %7B; plain JSON with "{" (and may contain "%" legitimately).
    if not text.startswith("{"):
        text = urllib.parse.unquote(text)
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"policy document is not JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise ValueError("policy document is not a JSON object")
    return decoded


def utc(value: object) -> datetime | None:
    """An aware UTC datetime from what botocore returns (aware, any zone) or an ISO string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        when = datetime.fromisoformat(value)
    else:
        raise ValueError(f"expected a timestamp, got {type(value).__name__}")
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def tags(items: object) -> dict[str, str]:
    if not isinstance(items, list):
        return {}
    return {str(t["Key"]): str(t.get("Value", "")) for t in items}
