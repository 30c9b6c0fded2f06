"""The rules catalogue as a table, CSV or JSON: what `iam-audit rules` prints."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from audit.rules import all_rules
from audit.rules.registry import BEYOND_BENCHMARKS, RuleMeta
from audit.settings import Settings

CATALOGUE_FORMATS = ("table", "csv", "json")
_COLUMNS = ("id", "severity", "title", "controls", "requires", "resource_type")


def catalogue(settings: Settings | None = None) -> list[RuleMeta]:
    """The rules a snapshot is judged by, as ``settings`` (audit.toml) configure them:
    threshold values in titles, severity overrides; disabled rules left out."""
    if settings is None:
        return [r.meta for r in all_rules()]
    return [
        r.meta.configured(settings) for r in all_rules() if r.meta.id not in settings.disabled_rules
    ]


def catalogue_record(meta: RuleMeta) -> dict[str, Any]:
    return {
        "id": meta.id,
        "severity": meta.severity.label,
        "title": meta.title,
        "controls": list(meta.controls) or [BEYOND_BENCHMARKS],
        "requires": list(meta.requires),
        "resource_type": meta.resource_type,
        "rationale": meta.rationale,
        "remediation": meta.remediation,
    }


def _table(records: list[dict[str, Any]]) -> str:
    header = ["ID", "SEVERITY", "TITLE", "REQUIRES", "CONTROLS"]
    rows = [header] + [
        [r["id"], r["severity"], r["title"], ", ".join(r["requires"]), "; ".join(r["controls"])]
        for r in records
    ]
    # The controls column is long and last: it is left to wrap rather than padded.
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[4]])
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def render_catalogue(fmt: str, settings: Settings | None = None) -> str:
    records = [catalogue_record(m) for m in catalogue(settings)]
    if fmt == "json":
        return json.dumps(records, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for r in records:
            writer.writerow([r[c] if isinstance(r[c], str) else "; ".join(r[c]) for c in _COLUMNS])
        return out.getvalue()
    if fmt == "table":
        return _table(records)
    raise ValueError(f"unknown catalogue format {fmt!r}")
