"""summary.json (for dashboards; findings.json is audit.findings_file's)."""

from __future__ import annotations

import json
from typing import Any

from audit.findings_file import json_default
from audit.report.view import ReportView


def _dump(doc: Any) -> bytes:
    text = json.dumps(doc, indent=1, ensure_ascii=False, default=json_default)
    return (text + "\n").encode("utf-8")


def summary(view: ReportView) -> dict[str, Any]:
    return {
        "account_id": view.account_id,
        "account_alias": view.account_alias,
        "partition": view.partition,
        "source": view.source,
        "tool_version": view.tool_version,
        "collected_at": view.collected_at.isoformat(),
        "credential_report_generated_at": (
            view.credential_report_at.isoformat() if view.credential_report_at else None
        ),
        "as_of": view.as_of.isoformat(),
        "snapshot_sha256": view.snapshot_sha256,
        "posture_score": view.posture,
        "failing_by_severity": dict(view.failing_by_severity),
        "findings_by_status": dict(view.status_counts),
        "collection_complete": view.coverage_complete,
        "frameworks": [
            {
                "framework": fw.framework,
                "passed": fw.passed,
                "failed": fw.failed,
                "assessed": fw.assessed,
                "not_assessed": len(fw.not_assessed),
                "percent": None if fw.percent is None else round(fw.percent, 1),
            }
            for fw in view.frameworks
        ],
        "rules": [
            {
                "rule_id": r.rule_id,
                "severity": r.severity.label,
                "status": r.status,
                "passed": r.passed,
                "failed": r.failed,
                "not_assessed": r.not_assessed,
                "errors": r.errors,
            }
            for r in view.rules
        ],
        "top_user_risks": [
            {"user": r.user, "risk_score": r.score, "failing": r.failing, "rules": list(r.rule_ids)}
            for r in view.top_users
        ],
        "effective_admins": [a.user for a in view.admin_paths],
    }


def summary_json(view: ReportView) -> bytes:
    return _dump(summary(view))
