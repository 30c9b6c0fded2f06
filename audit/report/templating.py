"""The jinja2 environment shared by the HTML and PDF renderers, and its formatting filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

import audit
from audit.errors import AuditError

if TYPE_CHECKING:
    from audit.report.charts import Charts


def templates_dir() -> Path:
    """Installed wheels carry audit/report_templates; a source checkout has it at the top."""
    package_dir = Path(audit.__file__).parent
    for candidate in (package_dir / "report_templates", package_dir.parent / "report_templates"):
        if (candidate / "report.html.j2").is_file():
            return candidate
    raise AuditError(f"report templates not found next to {package_dir}")


def fmt_dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "\u2014"


def fmt_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "\u2014"


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def fmt_yesno(value: bool | None) -> str:
    if value is None:
        return "\u2014"
    return "yes" if value else "no"


def fmt_list(values: Iterable[str]) -> str:
    return ", ".join(values)


def asset(name: str) -> Markup:
    """A CSS/JS file of ours, inlined verbatim (it is our code, not AWS data)."""
    return Markup((templates_dir() / name).read_text(encoding="utf-8"))  # noqa: S704


def chart_markup(charts: Charts) -> dict[str, Markup]:
    """The charts for the HTML and PDF templates (here, not in charts.py: no matplotlib)."""
    # The SVG is matplotlib's output from our own series; matplotlib escapes its text.
    return {
        "severity": Markup(charts.severity),  # noqa: S704
        "frameworks": Markup(charts.frameworks),  # noqa: S704
        "key_age": Markup(charts.key_age),  # noqa: S704
        "mfa": Markup(charts.mfa),  # noqa: S704
        "trend_posture": Markup(charts.trend_posture),  # noqa: S704
        "trend_severity": Markup(charts.trend_severity),  # noqa: S704
    }


@cache
def environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape(): the templates are named *.html.j2, which
    # select_autoescape would not recognise, and every AWS value must be escaped.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(dt=fmt_dt, date=fmt_date, pct=fmt_pct, yesno=fmt_yesno, csv=fmt_list)
    env.globals["asset"] = asset
    return env
