"""Privilege escalation: the classic methods, and which of them a principal holds."""

from __future__ import annotations

from dataclasses import dataclass

from audit.model_org import ScpChain
from audit.permissions.evaluate import EffectivePermissions, Verdict, access, unique
from audit.permissions.scp import capped


@dataclass(frozen=True)
class EscalationMethod:
    name: str
    actions: tuple[str, ...]  # all of them are needed


def _single(action: str) -> EscalationMethod:
    return EscalationMethod(action, (action,))


def _combo(*actions: str) -> EscalationMethod:
    return EscalationMethod(" + ".join(actions), actions)


# Rhino Security Labs' classic list (docs/controls.md, "Privilege-escalation methods").
ESCALATION_METHODS: tuple[EscalationMethod, ...] = (
    _single("iam:CreatePolicyVersion"),
    _single("iam:SetDefaultPolicyVersion"),
    _single("iam:CreateAccessKey"),
    _single("iam:CreateLoginProfile"),
    _single("iam:UpdateLoginProfile"),
    _single("iam:AttachUserPolicy"),
    _single("iam:AttachGroupPolicy"),
    _single("iam:PutUserPolicy"),
    _single("iam:PutGroupPolicy"),
    _single("iam:AddUserToGroup"),
    _single("lambda:UpdateFunctionCode"),
    _single("glue:UpdateDevEndpoint"),
    _single("iam:DeleteUserPermissionsBoundary"),
    _single("iam:DeleteRolePermissionsBoundary"),
    _combo("iam:AttachRolePolicy", "sts:AssumeRole"),
    _combo("iam:PutRolePolicy", "sts:AssumeRole"),
    _combo("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
    _combo("iam:PassRole", "ec2:RunInstances"),
    _combo("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    _combo("iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
    _combo("iam:PassRole", "glue:CreateDevEndpoint"),
    _combo("iam:PassRole", "cloudformation:CreateStack"),
    _combo(
        "iam:PassRole",
        "datapipeline:CreatePipeline",
        "datapipeline:PutPipelineDefinition",
        "datapipeline:ActivatePipeline",
    ),
)


# A new key or password for *yourself* gives you nothing you did not have: these escalate only
# when aimed at another user (AWS's "manage your own credentials" policy is not escalation).
SELF_SERVICE_ACTIONS = frozenset(
    ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
)


@dataclass(frozen=True)
class Escalation:
    method: EscalationMethod
    verdict: Verdict  # ALLOWED, or CONDITIONAL when any needed action is conditional
    paths: tuple[str, ...]  # where the needed actions come from

    def describe(self) -> str:
        cond = " (conditional)" if self.verdict is Verdict.CONDITIONAL else ""
        return f"{self.method.name}{cond} {', '.join(self.paths)}"


def escalations(
    perms: EffectivePermissions, scps: ScpChain | None = None
) -> tuple[Escalation, ...]:
    """Every escalation method whose actions the principal all holds (and SCPs allow)."""
    needed = {a for m in ESCALATION_METHODS for a in m.actions}
    answers_by_action = {
        a: capped(access(perms, a, others_only=a in SELF_SERVICE_ACTIONS), scps) for a in needed
    }
    found = []
    for method in ESCALATION_METHODS:
        answers = [answers_by_action[a] for a in method.actions]
        if not all(a.granted for a in answers):
            continue
        conditional = any(a.verdict is Verdict.CONDITIONAL for a in answers)
        verdict = Verdict.CONDITIONAL if conditional else Verdict.ALLOWED
        found.append(Escalation(method, verdict, unique(p for a in answers for p in a.paths)))
    return tuple(found)
