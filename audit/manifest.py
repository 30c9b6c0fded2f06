"""The evidence manifest of a run folder (``manifest.json``) and its verification (issue 12).

Written by the pipeline after every report and before summary.json (the completion marker): the
tool version, the caller, the account(s) and scope, the collection times, the options and
settings used (no secret: the SMTP password is never in them), the coverage gaps, and the
SHA-256 of every file written. ``iam-audit verify`` recomputes the hashes.

A file cannot hold the hash of a file that holds its own hash, so the PDF cover cannot name the
manifest's hash. It names the run's *fingerprint* instead: the SHA-256 of the snapshot's hash and
the options and settings, known before any report is written and recorded in the manifest,
which in turn records the PDF's hash. The e-mail, sent after the manifest is written, names the
manifest's own SHA-256. Files added later under ``review/`` (the access review's workbook,
export record and decisions) are listed by verify but change nothing: they carry their own
hashes (decisions.json records the workbook's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.model import Snapshot
from audit.output import atomic_write_bytes

MANIFEST_FILE = "manifest.json"
MANIFEST_KIND = "iam-audit run manifest"
ADDED_LATER = "review"  # the access review's folder: written after the run, by `review`
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def run_fingerprint(snapshot_sha256: str, options: Mapping[str, Any]) -> str:
    """What the PDF cover shows: the snapshot and how it was judged and presented."""
    return hashlib.sha256(_canonical({"snapshot": snapshot_sha256, "options": options})).hexdigest()


def coverage_gaps(snapshot: Snapshot) -> list[dict[str, str]]:
    return [
        {"api": o.api, "part": o.part, "status": o.status.value, "message": o.message}
        for o in snapshot.outcomes
        if o.status.value != "ok"
    ]


def manifest_document(
    snapshot: Snapshot,
    snapshot_sha256: str,
    options: Mapping[str, Any],
    out_dir: Path,
    files: Iterable[Path],
) -> dict[str, Any]:
    meta = snapshot.meta
    api_seconds = sum(o.seconds for o in snapshot.outcomes)
    org = snapshot.organization
    return {
        "kind": MANIFEST_KIND,
        "version": 1,
        "tool_version": meta.tool_version,
        "caller_arn": meta.caller_arn,
        "accounts": [meta.account_id],
        "scope": "organization member" if org is not None else "account",
        "organization_id": org.organization_id if org is not None else "",
        "partition": meta.partition,
        "source": meta.source,
        "collection": {
            "started_at": meta.collected_at.isoformat(),
            # The calls run one after another: start plus their time is when collection ended.
            "ended_at": (meta.collected_at + timedelta(seconds=api_seconds)).isoformat(),
            "api_seconds": round(api_seconds, 3),
        },
        "snapshot_sha256": snapshot_sha256,
        "options": dict(options),
        "fingerprint": run_fingerprint(snapshot_sha256, options),
        "coverage_gaps": coverage_gaps(snapshot),
        "files": {p.relative_to(out_dir).as_posix(): file_sha256(p) for p in files},
    }


def write_manifest(doc: Mapping[str, Any], out_dir: Path) -> tuple[Path, str]:
    """Write manifest.json; return its path and SHA-256 (what the e-mail names)."""
    data = (json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    path = out_dir / MANIFEST_FILE
    atomic_write_bytes(path, data)
    return path, hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Verification:
    matching: tuple[str, ...]
    changed: tuple[str, ...]
    missing: tuple[str, ...]
    unlisted: tuple[str, ...]  # files in the folder the manifest does not list
    manifest_sha256: str

    @property
    def ok(self) -> bool:
        unexpected = [f for f in self.unlisted if not f.startswith(f"{ADDED_LATER}/")]
        return not (self.changed or self.missing or unexpected)

    def lines(self) -> list[str]:
        out = [f"changed: {f} (its SHA-256 differs from {MANIFEST_FILE})" for f in self.changed]
        out += [f"missing: {f}" for f in self.missing]
        for f in self.unlisted:
            later = f.startswith(f"{ADDED_LATER}/")
            why = "added by the access review" if later else f"not in {MANIFEST_FILE}"
            out.append(f"{'added' if later else 'unlisted'}: {f} ({why})")
        return out


def _listed_files(doc: Mapping[str, Any], path: Path) -> dict[str, str]:
    files = doc.get("files")
    if doc.get("kind") != MANIFEST_KIND or not isinstance(files, dict):
        raise InputError(f"{path}: not an iam-audit manifest")
    return {str(k): str(v) for k, v in files.items()}


def verify_run(run_dir: Path) -> Verification:
    """Recompute every listed hash; InputError (exit 2) when it is not a run folder."""
    path = run_dir / MANIFEST_FILE
    if not run_dir.is_dir() or not path.is_file():
        raise InputError(f"{run_dir}: no {MANIFEST_FILE} (not an iam-audit run folder)")
    try:
        data = path.read_bytes()
        doc = json.loads(data)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not an iam-audit manifest")
    listed = _listed_files(doc, path)
    matching, changed, missing = [], [], []
    root = run_dir.resolve()
    for name, digest in sorted(listed.items()):
        target = (run_dir / name).resolve()
        if root not in target.parents or not target.is_file():
            missing.append(name)
        elif file_sha256(target) == digest:
            matching.append(name)
        else:
            changed.append(name)
    # summary.json is written after the manifest (it marks the run complete), so it is the
    # one file that cannot be listed.
    own = {MANIFEST_FILE, "summary.json"}
    present = sorted(
        p.relative_to(run_dir).as_posix()
        for p in run_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    unlisted = tuple(f for f in present if f not in listed and f not in own)
    return Verification(
        matching=tuple(matching),
        changed=tuple(changed),
        missing=tuple(missing),
        unlisted=unlisted,
        manifest_sha256=hashlib.sha256(data).hexdigest(),
    )


def manifest_time(doc: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(doc["collection"]["started_at"]))
    except (KeyError, TypeError, ValueError):
        return None
