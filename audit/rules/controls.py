"""Control ids as the benchmarks number them, so a finding carries every version's id.

CIS moved the IAM section between versions (v6.0 made it section 2); see
``shared/reference/controls.md``. Rules call :func:`cis` with the ids per version.
"""

from __future__ import annotations

CIS_VERSIONS = ("v3.0", "v4.0.1", "v5.0", "v6.0")
SECURITY_HUB = "AWS Security Hub"


def cis(v3: str, v4: str, v5: str, v6: str) -> tuple[str, ...]:
    return tuple(
        f"CIS {ver} {num}" for ver, num in zip(CIS_VERSIONS, (v3, v4, v5, v6), strict=True)
    )


def hub(*numbers: int) -> tuple[str, ...]:
    return tuple(f"{SECURITY_HUB} IAM.{n}" for n in numbers)


def framework_of(control: str) -> str:
    """'CIS v5.0 1.13' -> 'CIS v5.0'; 'AWS Security Hub IAM.3' -> 'AWS Security Hub'."""
    if control.startswith(SECURITY_HUB):
        return SECURITY_HUB
    return control.rsplit(" ", 1)[0]
