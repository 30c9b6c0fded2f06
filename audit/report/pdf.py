"""report.pdf: weasyprint renders the shared templates with print CSS.

The PDF summarises: each rule lists at most ``pdf_max_resources`` resources and points to
findings.csv for the rest, so a 10,000-user account stays a few dozen pages.

weasyprint's layout is most of a report's time (see "Report speed" in README.md), so
:class:`PdfWorker` runs it in a second process: that process imports weasyprint while this
one draws the charts, then lays the PDF out while this one writes the HTML, CSV and JSON.
Run as ``python -m audit.report.pdf`` it is that worker; this module therefore imports
nothing heavy at the top.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.errors import AuditError
from audit.report.templating import chart_markup, environment, templates_dir

if TYPE_CHECKING:
    from audit.report.charts import Charts
    from audit.report.options import ReportOptions
    from audit.report.view import ReportView


def render_pdf_html(view: ReportView, charts: Charts, options: ReportOptions) -> str:
    template = environment().get_template("report_pdf.html.j2")
    return template.render(
        view=view,
        charts=chart_markup(charts),
        options=options,
        limit=options.pdf_max_resources,
        pdf=True,
    )


def offline_fetcher() -> Any:
    """The document references nothing outside itself; should a value ever slip through as a
    URL, weasyprint must not fetch it (no file:, no http:), so only data: URIs are allowed."""
    # Lazy: weasyprint takes about a second to import, and only a PDF needs it.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def lean_ua_css(ua: str) -> str:
    """weasyprint's user-agent stylesheet with its pseudo-elements scoped to where they exist.

    As shipped, ``::marker`` and the five ``::footnote-*``/``::note-*`` rules match every
    element, so the cascade computes seven styles per element where one is used: about a
    tenth of the PDF's layout time. A marker exists only on a list item (``li``, and
    ``summary``, which the PDF does not use); footnote and note pseudo-elements only with
    ``float: footnote`` or notes, which the report's CSS never uses (add the rules back if it
    ever does). The pages are pixel-identical (bench/pdf_look.py compare).
    """
    ua = ua.replace("\n::marker {", "\n:is(li, summary)::marker {")
    return re.sub(r"^::(footnote|note)-[a-z]+ \{[^}\n]*\}$", "", ua, flags=re.MULTILINE)


@cache
def _lean_html() -> Any:
    """weasyprint's HTML class, with :func:`lean_ua_css` as its user-agent stylesheet."""
    # Lazy, as above. _ua_stylesheets is how weasyprint's HTML picks its stylesheet.
    from weasyprint import CSS, HTML
    from weasyprint.html import UA, UA_COUNTER_STYLE, UA_FORM_STYLESHEET

    sheet = CSS(string=lean_ua_css(UA), counter_style=UA_COUNTER_STYLE)

    # weasyprint has no type hints, so HTML is Any to mypy.
    class LeanHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [sheet, UA_FORM_STYLESHEET] if forms else [sheet]

    return LeanHTML


def layout_pdf(html: str) -> Any:
    """weasyprint's Document: every page laid out, nothing drawn yet."""
    # weasyprint logs every CSS property it ignores at WARNING; that is noise for users.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return _lean_html()(
        string=html, base_url=str(templates_dir()), url_fetcher=offline_fetcher()
    ).render()


def draw_pdf(document: Any) -> bytes:
    data = document.write_pdf()
    if not isinstance(data, bytes):  # pragma: no cover - write_pdf() without target returns bytes
        raise TypeError("weasyprint returned no PDF bytes")
    return data


def render_pdf(view: ReportView, charts: Charts, options: ReportOptions) -> bytes:
    """The PDF in this process (what :class:`PdfWorker` does in another)."""
    return draw_pdf(layout_pdf(render_pdf_html(view, charts, options)))


class PdfWorker:
    """``python -m audit.report.pdf`` in a second process: HTML in on stdin, PDF out on stdout.

    Start it before the work the PDF does not need (it spends its first second importing
    weasyprint), :meth:`send` the PDF's HTML once the charts exist, and collect the bytes with
    :meth:`result` after the other formats are written. Same weasyprint, same HTML: the bytes
    are those :func:`render_pdf` gives.
    """

    def __init__(self) -> None:
        # The package that holds this module, first on the path, so the worker imports this
        # same code whether it is installed or run from a source checkout.
        source_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (source_root, env.get("PYTHONPATH", "")) if p
        )
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "audit.report.pdf"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self._out = b""
        self._err = b""
        # Drain stdout/stderr as they come, so a full pipe never stalls the worker.
        self._readers = [
            threading.Thread(target=self._drain, args=("_out",), daemon=True),
            threading.Thread(target=self._drain, args=("_err",), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _drain(self, attr: str) -> None:
        stream = self._proc.stdout if attr == "_out" else self._proc.stderr
        assert stream is not None  # noqa: S101 - both are PIPEs
        setattr(self, attr, stream.read())

    def send(self, html: str) -> None:
        stdin = self._proc.stdin
        assert stdin is not None  # noqa: S101 - a PIPE
        try:
            stdin.write(html.encode("utf-8"))
            stdin.close()
        except BrokenPipeError:  # the worker died; result() says why
            pass

    def result(self) -> bytes:
        code = self._proc.wait()
        for reader in self._readers:
            reader.join()
        if code != 0 or not self._out.startswith(b"%PDF"):
            lines = self._err.decode("utf-8", "replace").strip().splitlines()
            raise AuditError(f"PDF rendering failed: {lines[-1] if lines else f'exit {code}'}")
        return self._out

    def close(self) -> None:
        """Stop the worker if it is still running (the run failed or was interrupted)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def _worker_main() -> int:
    # This process lays out one PDF and exits. Python's cycle collector would walk
    # weasyprint's hundreds of thousands of boxes and styles again and again, for nothing:
    # about an eighth of the layout's time, against 3 MB more at the peak (1,000 users).
    gc.disable()
    chunks: list[bytes] = []
    # Read the HTML while weasyprint imports, so the sender never waits on a full pipe.
    reader = threading.Thread(target=lambda: chunks.append(sys.stdin.buffer.read()), daemon=True)
    reader.start()
    try:
        import weasyprint  # noqa: F401 - lazy, as above: the slow import, before the HTML arrives

        reader.join()
        html = b"".join(chunks).decode("utf-8")
        if not html:  # the parent gave up before sending anything
            return 1
        pdf = draw_pdf(layout_pdf(html))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
