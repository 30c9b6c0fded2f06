"""The import structure: no cycle between the reports and the review workflow, and no import
inside a function except the few that keep heavy libraries out of the command's start-up."""

from __future__ import annotations

import ast
from pathlib import Path

import audit

PACKAGE = Path(audit.__file__).parent

# Function-level imports allowed, and why: each defers a library that takes about a second
# to import (boto3/moto through audit.collect, matplotlib through the charts, weasyprint).
LAZY_ALLOWED = {
    ("audit/cli.py", "audit.collect"),
    ("audit/cli.py", "audit.collect.demo"),
    ("audit/cli.py", "audit.collect.demo_org"),
    ("audit/cli.py", "audit.collect.org_accounts"),
    ("audit/cli.py", "audit.collect.org_collection"),
    ("audit/cli.py", "audit.collect.org_options"),
    ("audit/cli.py", "audit.collect.permissions"),
    ("audit/report/__init__.py", "audit.report.charts"),
    ("audit/report/__init__.py", "audit.report.html"),
    ("audit/report/__init__.py", "audit.report.pdf"),
    ("audit/report/pdf.py", "weasyprint"),
    ("audit/report/pdf.py", "weasyprint.html"),
    ("audit/report/pdf.py", "weasyprint.urls"),
}


def _modules() -> list[tuple[str, ast.Module]]:
    root = PACKAGE.parent
    return [
        (path.relative_to(root).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""]
    return [alias.name for alias in node.names]


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(child) for child in ast.walk(node))
    return ids


def test_no_import_inside_a_function_hides_a_cycle() -> None:
    found = set()
    for name, tree in _modules():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.update((name, module) for module in _imported(node))
    assert found - LAZY_ALLOWED == set()


def _top_level_audit_imports(tree: ast.Module) -> set[str]:
    skip = _type_checking_blocks(tree)
    return {
        module
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skip
        for module in _imported(node)
        if module.startswith("audit")
    }


def test_the_workflow_and_the_neutral_modules_never_import_the_reports_or_the_cli() -> None:
    # report -> workflow is the one direction (the report shows the review); the workflow,
    # the CSV cells and findings.json sit below both.
    lower = ("audit/workflow/", "audit/csv_safe.py", "audit/findings_file.py", "audit/console.py")
    for name, tree in _modules():
        if not name.startswith(lower):
            continue
        imports = _top_level_audit_imports(tree)
        bad = {m for m in imports if m.startswith(("audit.report", "audit.cli", "audit.pipeline"))}
        assert not bad, f"{name} imports {sorted(bad)}"
