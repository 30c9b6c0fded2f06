"""The effective-permissions evaluator: pure, separately tested, used by the access rules.

- :mod:`~audit.permissions.statements`: policy documents normalised to statements;
- :mod:`~audit.permissions.evaluate`: a user's policies by path, Allow/Deny, boundary;
- :mod:`~audit.permissions.escalation`: the privilege-escalation methods a principal holds.
"""

from __future__ import annotations

from audit.permissions.escalation import (
    ESCALATION_METHODS,
    Escalation,
    EscalationMethod,
    escalations,
)
from audit.permissions.evaluate import (
    Access,
    EffectivePermissions,
    PolicySource,
    Verdict,
    access,
    admin_access,
    document_permissions,
    grants,
    user_permissions,
)
from audit.permissions.statements import (
    Effect,
    Statement,
    parse_document,
    parse_statement,
    wildcard_match,
)

__all__ = [
    "ESCALATION_METHODS",
    "Access",
    "Effect",
    "EffectivePermissions",
    "Escalation",
    "EscalationMethod",
    "PolicySource",
    "Statement",
    "Verdict",
    "access",
    "admin_access",
    "document_permissions",
    "escalations",
    "grants",
    "parse_document",
    "parse_statement",
    "user_permissions",
    "wildcard_match",
]
