"""The least-privilege IAM policy for the auditor, generated from what collectors declare.

Each collector module lists the actions it calls (``ACTIONS``); this module joins them into one
policy. A test records every operation a full collection sends and fails if one is missing here,
and another keeps docs/least-privilege-policy.json equal to :func:`policy_json`.
"""

from __future__ import annotations

import json
from typing import Any

from audit.collect.collector import DECLARED_ACTIONS
from audit.collect.guard import is_read_only

POLICY_SID = "IamAuditReadOnly"
# AWS needs no permission for this one (it cannot be denied); listing it documents the call.
NO_PERMISSION_NEEDED = frozenset({"sts:GetCallerIdentity"})
# Operations authorised by an action of another name (AWS's API reference says so).
ACTION_OF_OPERATION = {"access-analyzer:ListFindingsV2": "access-analyzer:ListFindings"}


def required_actions() -> tuple[str, ...]:
    """Every action collection may call, sorted, each checked against the read-only rule."""
    actions = sorted({a for declared in DECLARED_ACTIONS.values() for a in declared})
    for action in actions:
        service, _, operation = action.partition(":")
        if not is_read_only(service, operation):
            raise ValueError(f"collector declares a non-read-only action: {action}")
    return tuple(actions)


def action_of(operation_model: Any) -> str:
    """The IAM action a botocore operation needs: ``<endpoint prefix>:<operation name>``."""
    name = f"{operation_model.service_model.endpoint_prefix}:{operation_model.name}"
    return ACTION_OF_OPERATION.get(name, name)


def least_privilege_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": POLICY_SID,
                "Effect": "Allow",
                "Action": list(required_actions()),
                "Resource": "*",
            }
        ],
    }


def policy_json() -> str:
    """The policy as written to docs/least-privilege-policy.json (stable, newline at the end)."""
    return json.dumps(least_privilege_policy(), indent=2) + "\n"
