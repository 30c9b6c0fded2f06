"""Control ids as the benchmarks number them, with their titles, so a report reads on its own.

CIS moved the IAM section between versions (v6.0 made it section 2): a finding carries every
version's id. The ids, titles and the rules behind each are listed in docs/controls.md. Rules
call :func:`cis` with the ids per version and :func:`hub` with Security Hub numbers.
"""

from __future__ import annotations

CIS_VERSIONS = ("v3.0", "v4.0.1", "v5.0", "v6.0")
SECURITY_HUB = "AWS Security Hub"

# One benchmark recommendation per row: its number in each version (v3.0, v4.0.1, v5.0, v6.0)
# and its title. The versions renumber the IAM section but keep the recommendations.
CIS_RECOMMENDATIONS: tuple[tuple[tuple[str, str, str, str], str], ...] = (
    (("1.4", "1.4", "1.3", "2.3"), "Ensure no 'root' user account access key exists"),
    (("1.5", "1.5", "1.4", "2.4"), "Ensure MFA is enabled for the 'root' user account"),
    (("1.6", "1.6", "1.5", "2.5"), "Ensure hardware MFA is enabled for the 'root' user account"),
    (
        ("1.7", "1.7", "1.6", "2.6"),
        "Eliminate use of the 'root' user for administrative and daily tasks",
    ),
    (
        ("1.8", "1.8", "1.7", "2.7"),
        "Ensure IAM password policy requires minimum length of 14 or greater",
    ),
    (("1.9", "1.9", "1.8", "2.8"), "Ensure IAM password policy prevents password reuse"),
    (
        ("1.10", "1.10", "1.9", "2.9"),
        "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a "
        "console password",
    ),
    (
        ("1.11", "1.11", "1.10", "2.10"),
        "Do not setup access keys during initial user setup for all IAM users that have a "
        "console password",
    ),
    (
        ("1.12", "1.12", "1.11", "2.11"),
        "Ensure credentials unused for 45 days or greater are disabled",
    ),
    (
        ("1.13", "1.13", "1.12", "2.12"),
        "Ensure there is only one active access key available for any single IAM user",
    ),
    (("1.14", "1.14", "1.13", "2.13"), "Ensure access keys are rotated every 90 days or less"),
    (("1.15", "1.15", "1.14", "2.14"), "Ensure IAM users receive permissions only through groups"),
    (
        ("1.16", "1.16", "1.15", "2.15"),
        'Ensure IAM policies that allow full "*:*" administrative privileges are not attached',
    ),
    (
        ("1.17", "1.17", "1.16", "2.16"),
        "Ensure a support role has been created to manage incidents with AWS Support",
    ),
    (
        ("1.19", "1.19", "1.18", "2.18"),
        "Ensure that all the expired SSL/TLS certificates stored in AWS IAM are removed",
    ),
    (
        ("1.20", "1.20", "1.19", "2.19"),
        "Ensure that IAM Access analyzer is enabled for all regions",
    ),
    (
        ("1.21", "1.21", "1.20", "2.20"),
        "Ensure IAM users are managed centrally via identity federation or AWS Organizations "
        "for multi-account environments",
    ),
    (("1.22", "1.22", "1.21", "2.21"), "Ensure access to AWSCloudShellFullAccess is restricted"),
)

# AWS Security Hub's IAM controls, by number.
SECURITY_HUB_TITLES: dict[int, str] = {
    1: 'IAM policies should not allow full "*" administrative privileges',
    2: "IAM users should not have IAM policies attached",
    3: "IAM users' access keys should be rotated every 90 days or less",
    4: "IAM root user access key should not exist",
    5: "MFA should be enabled for all IAM users that have a console password",
    6: "Hardware MFA should be enabled for the root user",
    7: "Password policies for IAM users should have strong configurations",
    8: "Unused IAM user credentials should be removed",
    9: "MFA should be enabled for the root user",
    11: "Ensure IAM password policy requires at least one uppercase letter",
    12: "Ensure IAM password policy requires at least one lowercase letter",
    13: "Ensure IAM password policy requires at least one symbol",
    14: "Ensure IAM password policy requires at least one number",
    15: "Ensure IAM password policy requires minimum password length of 14 or greater",
    16: "Ensure IAM password policy prevents password reuse",
    17: "Ensure IAM password policy expires passwords within 90 days or less",
    18: "Ensure a support role has been created to manage incidents with AWS Support",
    19: "MFA should be enabled for all IAM users",
    21: "IAM customer managed policies that you create should not allow wildcard actions for "
    "services",
    22: "IAM user credentials unused for 45 days should be removed",
    26: "Expired SSL/TLS certificates managed in IAM should be removed",
    27: "IAM identities should not have the AWSCloudShellFullAccess policy attached",
    28: "IAM Access Analyzer external access analyzer should be enabled",
}


def cis(v3: str, v4: str, v5: str, v6: str) -> tuple[str, ...]:
    return tuple(
        f"CIS {ver} {num}" for ver, num in zip(CIS_VERSIONS, (v3, v4, v5, v6), strict=True)
    )


def hub(*numbers: int) -> tuple[str, ...]:
    return tuple(f"{SECURITY_HUB} IAM.{n}" for n in numbers)


def _titles() -> dict[str, str]:
    titles = {control: title for numbers, title in CIS_RECOMMENDATIONS for control in cis(*numbers)}
    titles.update({hub(n)[0]: title for n, title in SECURITY_HUB_TITLES.items()})
    return titles


# "CIS v5.0 1.13" -> "Ensure access keys are rotated every 90 days or less"
CONTROL_TITLES: dict[str, str] = _titles()


def control_title(control: str) -> str:
    """The benchmark's title of ``control``; empty for a control this catalogue does not know."""
    return CONTROL_TITLES.get(control, "")


def framework_of(control: str) -> str:
    """'CIS v5.0 1.13' -> 'CIS v5.0'; 'AWS Security Hub IAM.3' -> 'AWS Security Hub'."""
    if control.startswith(SECURITY_HUB):
        return SECURITY_HUB
    return control.rsplit(" ", 1)[0]
