"""The organization snapshot: who is in the organization, where, and under which SCPs.

Run from the management account or a delegated administrator. The cost is a handful of
paginated calls per OU (its child OUs and accounts) and two per SCP (document and targets), not
per account or user. Every API becomes one :class:`~audit.model.ApiOutcome` (calls summed across
parents and policies); only DescribeOrganization failing stops it, since without it there is no
organization to describe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from audit import __version__
from audit.collect.calls import ApiResult, call_api, failed
from audit.collect.normalise import policy_document, utc
from audit.collect.session import Clients, Identity
from audit.errors import CollectionError
from audit.model import ApiOutcome, OutcomeStatus
from audit.model_org import (
    PART_DELEGATED_ADMINISTRATORS,
    PART_ORGANIZATION,
    PART_ORGANIZATIONS_FEATURES,
    PART_SERVICE_CONTROL_POLICIES,
    SCP_POLICY_TYPE,
    DelegatedAdministrator,
    OrgAccount,
    OrganizationalUnit,
    OrganizationMeta,
    OrgRoot,
    OrgSnapshot,
    ServiceControlPolicy,
)

ACTIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    "organizations:ListPolicies",
    "organizations:DescribePolicy",
    "organizations:ListTargetsForPolicy",
    "organizations:ListDelegatedAdministrators",
    "organizations:ListDelegatedServicesForAccount",
    "iam:ListOrganizationsFeatures",
)
# iam:ListOrganizationsFeatures' answers that mean "centralised root access is not enabled":
# IAM's trusted access is off, or the organization has only consolidated billing.
_FEATURES_OFF = frozenset(
    {"ServiceAccessNotEnabledException", "OrganizationNotInAllFeaturesModeException"}
)
# How an aggregate outcome picks its status when calls disagree: the one to act on first.
_WORST_FIRST = (
    OutcomeStatus.ACCESS_DENIED,
    OutcomeStatus.THROTTLED,
    OutcomeStatus.ERROR,
    OutcomeStatus.NOT_SUPPORTED,
)


def merge_outcomes(api: str, part: str, results: Sequence[tuple[str, ApiOutcome]]) -> ApiOutcome:
    """One outcome for an API called once per subject (an OU, a policy): sums and worst status.

    The message names how many subjects failed and the first failure with its subject.
    """
    outcomes = [o for _, o in results]
    failed = [(subject, o) for subject, o in results if o.status is not OutcomeStatus.OK]
    status = next(
        (s for s in _WORST_FIRST if any(o.status is s for _, o in failed)), OutcomeStatus.OK
    )
    message = ""
    if failed:
        subject, first = next((f for f in failed if f[1].status is status), failed[0])
        message = f"{len(failed)} of {len(results)} failed; {subject}: {first.message}"
    digest = hashlib.sha256("".join(o.payload_sha256 or "" for o in outcomes).encode()).hexdigest()
    return ApiOutcome(
        api=api,
        part=part,
        status=status,
        message=message,
        calls=sum(o.calls for o in outcomes),
        retries=sum(o.retries for o in outcomes),
        seconds=round(sum(o.seconds for o in outcomes), 4),
        payload_sha256=digest if status is OutcomeStatus.OK else None,
    )


@dataclass
class _Run:
    """One organization collection: the client and the outcomes gathered so far."""

    client: Any
    outcomes: list[ApiOutcome]

    def call(self, api: str, part: str, method: str, paginated: bool, **params: Any) -> ApiResult:
        def fetch() -> Iterable[Mapping[str, Any]]:
            if paginated:
                pages: Iterable[Mapping[str, Any]] = self.client.get_paginator(method).paginate(
                    **params
                )
                return pages
            return [getattr(self.client, method)(**params)]

        return call_api(api, part, fetch)

    def each_subject(
        self,
        api: str,
        part: str,
        method: str,
        subjects: Sequence[tuple[str, dict[str, Any]]],
        read: Callable[[str, Sequence[Mapping[str, Any]]], None],
        *,
        paginated: bool = True,
    ) -> list[tuple[str, ApiOutcome]]:
        """Call ``method`` once per subject and hand the pages to ``read``."""
        results: list[tuple[str, ApiOutcome]] = []
        for subject, params in subjects:
            result = self.call(api, part, method, paginated, **params)
            outcome = result.outcome
            if result.ok:
                try:
                    read(subject, result.pages)
                except (KeyError, TypeError, ValueError) as exc:
                    outcome = _unreadable(outcome, exc)
            results.append((subject, outcome))
        return results

    def each(
        self,
        api: str,
        part: str,
        method: str,
        subjects: Sequence[tuple[str, dict[str, Any]]],
        read: Callable[[str, Sequence[Mapping[str, Any]]], None],
        *,
        paginated: bool = True,
    ) -> list[str]:
        """:meth:`each_subject`, recorded as one merged outcome; returns the failed subjects."""
        results = self.each_subject(api, part, method, subjects, read, paginated=paginated)
        self.outcomes.append(merge_outcomes(api, part, results))
        return [s for s, o in results if o.status is not OutcomeStatus.OK]


def _unreadable(outcome: ApiOutcome, exc: Exception) -> ApiOutcome:
    """The call worked but its payload could not be read: an error outcome (calls.failed)."""
    return failed(ApiResult((), outcome), exc).outcome


def _describe(run: _Run) -> Mapping[str, Any]:
    result = run.call(
        "organizations:DescribeOrganization", PART_ORGANIZATION, "describe_organization", False
    )
    run.outcomes.append(result.outcome)
    if not result.ok:
        raise CollectionError(
            f"organizations:DescribeOrganization failed: {result.outcome.message} (run from the "
            "management account or a delegated administrator of AWS Organizations)"
        )
    try:
        described: Mapping[str, Any] = result.pages[0]["Organization"]
        return described
    except (KeyError, IndexError, TypeError) as exc:
        raise CollectionError(
            f"organizations:DescribeOrganization: unexpected response ({exc})"
        ) from None


def _roots(run: _Run) -> tuple[OrgRoot, ...]:
    result = run.call("organizations:ListRoots", PART_ORGANIZATION, "list_roots", True)
    roots: list[OrgRoot] = []
    outcome = result.outcome
    if result.ok:
        try:
            for page in result.pages:
                for r in page.get("Roots", []):
                    enabled = tuple(
                        str(t["Type"])
                        for t in r.get("PolicyTypes", [])
                        if t.get("Status") == "ENABLED"
                    )
                    roots.append(OrgRoot(str(r["Id"]), str(r["Arn"]), str(r["Name"]), enabled))
        except (KeyError, TypeError, ValueError) as exc:
            outcome, roots = _unreadable(outcome, exc), []
    run.outcomes.append(outcome)
    return tuple(roots)


def _account(a: Mapping[str, Any], parent: str) -> OrgAccount:
    return OrgAccount(
        id=str(a["Id"]),
        arn=str(a.get("Arn", "")),
        name=str(a.get("Name", "")),
        email=str(a.get("Email", "")),
        # AWS is replacing Status with State (which adds CLOSED): prefer the new field.
        status=str(a.get("State") or a.get("Status") or ""),
        parent_id=parent,
        joined_method=str(a.get("JoinedMethod", "")),
        joined_at=utc(a.get("JoinedTimestamp")),
    )


def _tree(
    run: _Run, roots: tuple[OrgRoot, ...]
) -> tuple[tuple[OrganizationalUnit, ...], tuple[OrgAccount, ...]]:
    """Walk the OU tree level by level: the child OUs and the accounts of every parent."""
    units: list[OrganizationalUnit] = []
    accounts: dict[str, OrgAccount] = {}
    seen: set[str] = {r.id for r in roots}
    below: list[str] = []

    def read_units(parent: str, pages: Sequence[Mapping[str, Any]]) -> None:
        for page in pages:
            for u in page["OrganizationalUnits"]:
                unit = OrganizationalUnit(
                    str(u["Id"]), str(u.get("Arn", "")), str(u.get("Name", "")), parent
                )
                if unit.id not in seen:  # a tree: but never loop on a garbled reply
                    seen.add(unit.id)
                    units.append(unit)
                    below.append(unit.id)

    def read_accounts(parent: str, pages: Sequence[Mapping[str, Any]]) -> None:
        for page in pages:
            for a in page["Accounts"]:
                account = _account(a, parent)
                accounts[account.id] = account

    unit_calls: list[tuple[str, ApiOutcome]] = []
    account_calls: list[tuple[str, ApiOutcome]] = []
    level = [r.id for r in roots]
    while level:
        parents = [(p, {"ParentId": p}) for p in level]
        below.clear()
        unit_calls += run.each_subject(
            "organizations:ListOrganizationalUnitsForParent",
            PART_ORGANIZATION,
            "list_organizational_units_for_parent",
            parents,
            read_units,
        )
        account_calls += run.each_subject(
            "organizations:ListAccountsForParent",
            PART_ORGANIZATION,
            "list_accounts_for_parent",
            parents,
            read_accounts,
        )
        level = list(below)
    for api, calls in (
        ("organizations:ListOrganizationalUnitsForParent", unit_calls),
        ("organizations:ListAccountsForParent", account_calls),
    ):
        run.outcomes.append(merge_outcomes(api, PART_ORGANIZATION, calls))
    return tuple(units), tuple(sorted(accounts.values(), key=lambda a: a.id))


def _scps(run: _Run, feature_set: str) -> tuple[ServiceControlPolicy, ...]:
    part = PART_SERVICE_CONTROL_POLICIES
    if feature_set != "ALL":
        # Consolidated billing only: SCPs do not exist, so none is the complete answer.
        run.outcomes.append(
            ApiOutcome(
                "organizations:ListPolicies",
                part,
                OutcomeStatus.OK,
                message=f"feature set {feature_set}: the organization has no SCPs",
            )
        )
        return ()
    listed = run.call(
        "organizations:ListPolicies", part, "list_policies", True, Filter=SCP_POLICY_TYPE
    )
    summaries: list[Mapping[str, Any]] = []
    outcome = listed.outcome
    if listed.ok:
        try:
            summaries = [p for page in listed.pages for p in page["Policies"]]
            ids = [str(p["Id"]) for p in summaries]
        except (KeyError, TypeError) as exc:
            outcome, summaries, ids = _unreadable(outcome, exc), [], []
    run.outcomes.append(outcome)
    if not summaries:
        return ()
    documents: dict[str, Mapping[str, Any]] = {}
    targets: dict[str, list[str]] = {i: [] for i in ids}

    def read_document(policy_id: str, pages: Sequence[Mapping[str, Any]]) -> None:
        documents[policy_id] = policy_document(pages[0]["Policy"]["Content"])

    def read_targets(policy_id: str, pages: Sequence[Mapping[str, Any]]) -> None:
        targets[policy_id] = [str(t["TargetId"]) for page in pages for t in page["Targets"]]

    subjects = [(i, {"PolicyId": i}) for i in ids]
    run.each(
        "organizations:DescribePolicy",
        part,
        "describe_policy",
        subjects,
        read_document,
        paginated=False,
    )
    no_targets = run.each(
        "organizations:ListTargetsForPolicy",
        part,
        "list_targets_for_policy",
        subjects,
        read_targets,
    )
    return tuple(
        ServiceControlPolicy(
            id=str(p["Id"]),
            arn=str(p.get("Arn", "")),
            name=str(p.get("Name", "")),
            description=str(p.get("Description", "")),
            aws_managed=bool(p.get("AwsManaged", False)),
            document=documents.get(str(p["Id"])),
            targets=tuple(sorted(targets.get(str(p["Id"]), ()))),
            targets_known=str(p["Id"]) not in no_targets,
        )
        for p in summaries
    )


def _delegated(run: _Run) -> tuple[DelegatedAdministrator, ...]:
    part = PART_DELEGATED_ADMINISTRATORS
    listed = run.call(
        "organizations:ListDelegatedAdministrators", part, "list_delegated_administrators", True
    )
    admins: list[DelegatedAdministrator] = []
    outcome = listed.outcome
    if listed.ok:
        try:
            admins = [
                DelegatedAdministrator(
                    account_id=str(d["Id"]),
                    name=str(d.get("Name", "")),
                    email=str(d.get("Email", "")),
                    status=str(d.get("State") or d.get("Status") or ""),
                    delegation_enabled_at=utc(d.get("DelegationEnabledDate")),
                )
                for page in listed.pages
                for d in page["DelegatedAdministrators"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            outcome, admins = _unreadable(outcome, exc), []
    run.outcomes.append(outcome)
    services: dict[str, tuple[str, ...]] = {}

    def read_services(account_id: str, pages: Sequence[Mapping[str, Any]]) -> None:
        services[account_id] = tuple(
            sorted(str(s["ServicePrincipal"]) for page in pages for s in page["DelegatedServices"])
        )

    run.each(
        "organizations:ListDelegatedServicesForAccount",
        part,
        "list_delegated_services_for_account",
        [(a.account_id, {"AccountId": a.account_id}) for a in admins],
        read_services,
    )
    return tuple(replace(a, services=services.get(a.account_id, ())) for a in admins)


def _root_features(clients: Clients, outcomes: list[ApiOutcome]) -> tuple[str, ...] | None:
    iam = clients.iam()
    result = call_api(
        "iam:ListOrganizationsFeatures",
        PART_ORGANIZATIONS_FEATURES,
        lambda: [iam.list_organizations_features()],
        empty_codes=_FEATURES_OFF,
    )
    outcome = result.outcome
    features: tuple[str, ...] | None = None
    if result.ok:
        try:
            features = tuple(
                sorted(str(f) for page in result.pages for f in page.get("EnabledFeatures", []))
            )
        except TypeError as exc:
            outcome = _unreadable(outcome, exc)
    outcomes.append(outcome)
    return features


def collect_organization(clients: Clients, identity: Identity) -> OrgSnapshot:
    """Describe the organization ``clients`` (the caller's) can see.

    Raises :class:`CollectionError` only when DescribeOrganization fails (not in an
    organization, or not its management account or a delegated administrator).
    """
    collected_at = datetime.now(UTC)
    run = _Run(clients.client("organizations"), [])
    described = _describe(run)
    feature_set = str(described.get("FeatureSet", "ALL"))
    roots = _roots(run)
    units, accounts = _tree(run, roots)
    policies = _scps(run, feature_set)
    delegated = _delegated(run)
    features = _root_features(clients, run.outcomes)
    meta = OrganizationMeta(
        organization_id=str(described.get("Id", "")),
        arn=str(described.get("Arn", "")),
        feature_set=feature_set,
        management_account_id=str(described.get("MasterAccountId", "")),
        management_account_email=str(described.get("MasterAccountEmail", "")),
        partition=identity.partition,
        collected_at=collected_at,
        tool_version=__version__,
        caller_account_id=identity.account_id,
        caller_arn=identity.arn,
        source=clients.endpoint_url or "aws",
    )
    return OrgSnapshot(
        meta=meta,
        outcomes=tuple(run.outcomes),
        roots=roots,
        units=units,
        accounts=accounts,
        policies=policies,
        delegated_administrators=delegated,
        root_features=features,
    )
