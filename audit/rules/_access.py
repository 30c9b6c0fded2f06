"""The access analysis rules share (see :mod:`audit.permissions.analysis`)."""

from __future__ import annotations

from audit.model import Snapshot
from audit.permissions.analysis import AccessAnalysis
from audit.rules.registry import Context


def access_analysis(snapshot: Snapshot, ctx: Context) -> AccessAnalysis:
    """The evaluation's one analysis of ``snapshot``: built by the first rule that asks."""
    return ctx.shared("access-analysis", snapshot, lambda: AccessAnalysis(snapshot, ctx.as_of))
