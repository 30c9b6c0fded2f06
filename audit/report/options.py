"""How the reports are presented: page size, sign-off, the cover's dates (not what they show)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReportOptions:
    page_size: str = "A4"  # or "Letter"
    pdf_max_resources: int = 25  # per rule in the PDF, then "and N more, see findings.csv"
    prepared_by: str = ""
    review_period: str = ""  # e.g. "2026 Q3"; empty: "up to <as-of date>"
    # When the report was generated; None shows the as-of time, so reruns are byte-identical.
    generated_at: datetime | None = None
    key_age_limit_days: int = (
        90  # the line on the key-age chart (Thresholds.access_key_max_age_days)
    )
    # The run's fingerprint (audit.manifest.run_fingerprint), shown on the PDF cover: it ties
    # the document to the manifest.json of its run folder. Empty: not shown.
    fingerprint: str = ""
