"""Does report.pdf still look the same? Render one, or compare two, page by page.

    .venv/bin/python bench/pdf_look.py make /tmp/before.pdf --users 1000    # on main
    .venv/bin/python bench/pdf_look.py make /tmp/after.pdf --users 1000     # on a branch
    .venv/bin/python bench/pdf_look.py compare /tmp/before.pdf /tmp/after.pdf

``make`` writes the PDF of the synthetic account (the one bench/report_bench.py times) through
``write_reports``, as the commands do, with a fixed as-of and "Generated at" time so two trees
give comparable files. ``compare`` checks the page count, the outline (bookmarks: title, level,
page), the links (rectangle, target page or URI) and the pixels of every page rendered with
``pdftoppm -r 60``; it prints each difference and exits 1 if there is one. A tool for speed
work on the PDF (README "Report speed"), not a test: it needs poppler and takes seconds.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pypdf import PdfReader  # noqa: E402 - after the path set-up

from tests.fixtures.snapshots import SYNTHETIC_AT, synthetic_snapshot  # noqa: E402
from tests.report.pdf_outline import outline  # noqa: E402


def make(out: Path, users: int) -> None:
    from audit.engine import evaluate
    from audit.report import ReportOptions, write_reports

    snap = synthetic_snapshot(users)
    with tempfile.TemporaryDirectory(prefix="iam-audit-look-") as tmp:
        write_reports(
            snap,
            "0" * 64,
            evaluate(snap, SYNTHETIC_AT),
            Path(tmp),
            formats=("pdf",),
            options=ReportOptions(generated_at=SYNTHETIC_AT),
        )
        out.write_bytes((Path(tmp) / "report.pdf").read_bytes())
    print(f"{out}: {len(PdfReader(out).pages)} pages")


def links(reader: PdfReader) -> list[tuple[int, tuple[float, ...], str]]:
    """(page index, rectangle rounded to 0.1 pt, target) of every link annotation."""
    page_index = {page.indirect_reference: i for i, page in enumerate(reader.pages)}
    named = reader.named_destinations
    rows = []
    for index, page in enumerate(reader.pages):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            rect = tuple(round(float(v), 1) for v in annot["/Rect"])
            action = annot.get("/A") or {}
            dest = annot.get("/Dest") or action.get("/D")
            if action.get("/URI") is not None:
                target = f"uri {action['/URI']}"
            elif isinstance(dest, str) and dest in named:
                target = f"page {reader.get_destination_page_number(named[dest])}"
            elif dest is not None and not isinstance(dest, str):
                target = f"page {page_index.get(dest[0].indirect_reference, '?')}"
            else:
                target = f"dest {dest}"
            rows.append((index, rect, target))
    return rows


def page_images(pdf: Path, folder: Path) -> list[bytes]:
    subprocess.run(  # noqa: S603 - poppler on our own file
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "p")],  # noqa: S607
        check=True,
    )
    return [p.read_bytes() for p in sorted(folder.glob("p-*.png"))]


def pixels(png: bytes) -> bytes:
    """The decoded pixels (PNG bytes can differ in compression alone)."""
    from matplotlib import image  # lazy: only the pixel comparison needs it

    return bytes(image.imread(io.BytesIO(png), format="png").tobytes())


def compare(before: Path, after: Path) -> list[str]:
    problems: list[str] = []
    a, b = PdfReader(before), PdfReader(after)
    if len(a.pages) != len(b.pages):
        problems.append(f"page count {len(a.pages)} != {len(b.pages)}")
    if outline(a) != outline(b):
        problems.append(f"outline differs:\n  {outline(a)}\n  {outline(b)}")
    la, lb = links(a), links(b)
    if la != lb:
        problems.append(f"links differ: {sorted(set(la) ^ set(lb))[:10]}")
    with tempfile.TemporaryDirectory() as ta, tempfile.TemporaryDirectory() as tb:
        for number, (pa, pb) in enumerate(
            zip(page_images(before, Path(ta)), page_images(after, Path(tb)), strict=False), 1
        ):
            if pa != pb and pixels(pa) != pixels(pb):
                problems.append(f"page {number}: pixels differ")
    print(
        f"{before.name} vs {after.name}: {len(a.pages)} / {len(b.pages)} pages, "
        f"{len(outline(a))} bookmarks, {len(la)} links: "
        + ("the same" if not problems else f"{len(problems)} difference(s)")
    )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_make = sub.add_parser("make", help="write the synthetic account's report.pdf")
    p_make.add_argument("out", type=Path)
    p_make.add_argument("--users", type=int, default=1000)
    p_cmp = sub.add_parser("compare", help="compare two PDFs page by page")
    p_cmp.add_argument("before", type=Path)
    p_cmp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "make":
        make(args.out, args.users)
        return 0
    problems = compare(args.before, args.after)
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
