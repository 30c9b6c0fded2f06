"""IAM Identity Center: the instance, its permission sets, assignments and people.

Read from the account that owns the instance (management or delegated administrator); from
any other account sso-admin answers AccessDenied, which is recorded like every other gap.

Cost, with P permission sets, A accounts, G groups and U users (README "What collection costs"):
``1 ListInstances + 1 ListPermissionSets + 6 P (describe, three policy kinds, boundary, accounts)
+ sum over sets of the accounts whose assignments are listed (at most P x A) + 2 A (provisioning
state, current and outdated) + ceil(U/100) ListUsers + ceil(G/100) ListGroups + G
ListGroupMemberships``: it grows with permission sets x accounts, and with users only by pages.

Many calls of one API (one per permission set, per account) become ONE outcome: the calls are
summed and the first failure names the rest, so the coverage table stays readable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import botocore.exceptions

from audit.collect.calls import ApiResult, Page, call_api, failed
from audit.collect.normalise import policy_document, utc
from audit.collect.session import Clients
from audit.model import ApiOutcome, OutcomeStatus
from audit.model_sso import (
    PART_IDENTITY_CENTER,
    PART_IDENTITY_CENTER_BOUNDARIES,
    PART_IDENTITY_STORE,
    AccountAssignment,
    CustomerPolicyRef,
    GroupMembership,
    IdentityCenter,
    IdentityCenterInstance,
    IdentityStoreGroup,
    IdentityStoreUser,
    PermissionSet,
    PermissionSetBoundary,
    Provisioning,
    ProvisioningState,
)

LIST_INSTANCES = "sso:ListInstances"
LIST_PERMISSION_SETS = "sso:ListPermissionSets"
DESCRIBE_PERMISSION_SET = "sso:DescribePermissionSet"
LIST_MANAGED = "sso:ListManagedPoliciesInPermissionSet"
GET_INLINE = "sso:GetInlinePolicyForPermissionSet"
LIST_CUSTOMER_REFS = "sso:ListCustomerManagedPolicyReferencesInPermissionSet"
GET_BOUNDARY = "sso:GetPermissionsBoundaryForPermissionSet"
LIST_PROVISIONED_ACCOUNTS = "sso:ListAccountsForProvisionedPermissionSet"
LIST_ASSIGNMENTS = "sso:ListAccountAssignments"
LIST_PROVISIONED_SETS = "sso:ListPermissionSetsProvisionedToAccount"
LIST_USERS = "identitystore:ListUsers"
LIST_GROUPS = "identitystore:ListGroups"
LIST_MEMBERSHIPS = "identitystore:ListGroupMemberships"

ACTIONS = (
    LIST_INSTANCES,
    LIST_PERMISSION_SETS,
    DESCRIBE_PERMISSION_SET,
    LIST_MANAGED,
    GET_INLINE,
    LIST_CUSTOMER_REFS,
    GET_BOUNDARY,
    LIST_PROVISIONED_ACCOUNTS,
    LIST_ASSIGNMENTS,
    LIST_PROVISIONED_SETS,
    LIST_USERS,
    LIST_GROUPS,
    LIST_MEMBERSHIPS,
)
# No call needed in this account: an OK outcome with zero calls says so in the coverage table.
_NOTHING = "no Identity Center instance owned by this account: nothing to read"
_CURRENT = "LATEST_PERMISSION_SET_PROVISIONED"
_OUTDATED = "LATEST_PERMISSION_SET_NOT_PROVISIONED"
T = TypeVar("T")
_SEVERITY = (
    OutcomeStatus.ACCESS_DENIED,
    OutcomeStatus.ERROR,
    OutcomeStatus.THROTTLED,
    OutcomeStatus.NOT_SUPPORTED,
)


def _unimplemented_as_client_error(
    fetch: Callable[[], Iterable[Mapping[str, Any]]],
) -> Callable[[], Iterable[Mapping[str, Any]]]:
    """moto raises NotImplementedError in-process for an API it lacks (over HTTP it is a 500):
    that is an endpoint without the API, not a garbled reply."""

    def wrapped() -> Iterator[Mapping[str, Any]]:
        try:
            yield from fetch()
        except NotImplementedError as exc:
            text = f"the endpoint does not implement it: {exc}"
            reply: Any = {"Error": {"Code": "NotImplemented", "Message": text}}
            raise botocore.exceptions.ClientError(reply, "endpoint") from None

    return wrapped


@dataclass
class _Ledger:
    """Every call made, by API; merged into one outcome per API at the end."""

    results: dict[tuple[str, str], list[ApiResult]] = field(default_factory=dict)

    def call(
        self,
        api: str,
        part: str,
        fetch: Callable[[], Iterable[Mapping[str, Any]]],
        parse: Callable[[tuple[Page, ...]], T],
    ) -> tuple[T | None, ApiResult]:
        """The parsed payload, or None when the call or its parsing failed (recorded)."""
        result = call_api(api, part, _unimplemented_as_client_error(fetch))
        value = None
        if result.ok:
            try:
                value = parse(result.pages)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                result = failed(result, exc)
        self.results.setdefault((api, part), []).append(result)
        return value, result

    def nothing(self, api: str, part: str, message: str = _NOTHING) -> None:
        outcome = ApiOutcome(api=api, part=part, status=OutcomeStatus.OK, message=message)
        self.results.setdefault((api, part), []).append(ApiResult((), outcome))

    def outcomes(self) -> tuple[ApiOutcome, ...]:
        return tuple(_merge(api, part, rs) for (api, part), rs in self.results.items())


def _merge(api: str, part: str, results: Sequence[ApiResult]) -> ApiOutcome:
    outcomes = [r.outcome for r in results]
    if len(outcomes) == 1:
        return outcomes[0]
    bad = [o for o in outcomes if o.status is not OutcomeStatus.OK]
    status = min((o.status for o in bad), key=_SEVERITY.index, default=OutcomeStatus.OK)
    message = ""
    if bad:
        message = f"{len(bad)} of {len(outcomes)} calls failed; first: {bad[0].message}"
    hashes = "".join(o.payload_sha256 or "" for o in outcomes)
    return ApiOutcome(
        api=api,
        part=part,
        status=status,
        message=message,
        calls=sum(o.calls for o in outcomes),
        retries=sum(o.retries for o in outcomes),
        seconds=round(sum(o.seconds for o in outcomes), 4),
        payload_sha256=None if bad else hashlib.sha256(hashes.encode()).hexdigest(),
    )


def _items(pages: Iterable[Page], key: str) -> list[Any]:
    # The key is required: a reply without it was not the API's (a proxy's page parsed as {}).
    return [item for page in pages for item in page[key]]


MANAGED_KEY = "AttachedManagedPolicies"
Fetch = Callable[[], Iterable[Page]]


class _Reader:
    """Guarded clients for both services plus the ledger every call is written to."""

    def __init__(self, clients: Clients, ledger: _Ledger) -> None:
        region = clients.options.sso_region
        self.sso = clients.client("sso-admin", region)
        self.store = clients.client("identitystore", region)
        self.ledger = ledger
        self.boundary_gap = ""  # set once GetPermissionsBoundaryForPermissionSet has failed

    @staticmethod
    def pages(client: Any, method: str, **params: Any) -> Fetch:
        return lambda: client.get_paginator(method).paginate(**params)

    @staticmethod
    def one(client: Any, method: str, **params: Any) -> Fetch:
        return lambda: [getattr(client, method)(**params)]


def instances_from(pages: Iterable[Page]) -> tuple[IdentityCenterInstance, ...]:
    return tuple(
        IdentityCenterInstance(
            arn=str(i["InstanceArn"]),
            identity_store_id=str(i["IdentityStoreId"]),
            owner_account_id=str(i.get("OwnerAccountId", "")),
            name=str(i.get("Name", "")),
            status=str(i.get("Status", "")),
            created=utc(i.get("CreatedDate")),
        )
        for i in _items(pages, "Instances")
    )


def choose_instance(
    instances: Sequence[IdentityCenterInstance], account_id: str
) -> IdentityCenterInstance | None:
    """The instance this account owns (AWS allows one per owner); None when it owns none."""
    owned = [i for i in instances if i.owner_account_id in (account_id, "")]
    return owned[0] if owned else None


def _customer_ref(ref: Mapping[str, Any]) -> CustomerPolicyRef:
    return CustomerPolicyRef(name=str(ref["Name"]), path=str(ref.get("Path") or "/"))


def boundary_from(pages: Sequence[Page]) -> PermissionSetBoundary | None:
    raw = pages[0].get("PermissionsBoundary") or {}
    if raw.get("ManagedPolicyArn"):
        return PermissionSetBoundary(managed_policy_arn=str(raw["ManagedPolicyArn"]))
    ref = raw.get("CustomerManagedPolicyReference")
    if ref:
        return PermissionSetBoundary(customer_policy=_customer_ref(ref))
    return None


def _described(base: PermissionSet) -> Callable[[Sequence[Page]], PermissionSet]:
    def parse(pages: Sequence[Page]) -> PermissionSet:
        d = pages[0]["PermissionSet"]
        return replace(
            base,
            name=str(d.get("Name") or base.name),
            description=str(d.get("Description", "")),
            session_duration=str(d.get("SessionDuration", "")),
            relay_state=str(d.get("RelayState", "")),
            created=utc(d.get("CreatedDate")),
        )

    return parse


def _inline(pages: Sequence[Page]) -> Mapping[str, Any] | None:
    text = pages[0].get("InlinePolicy") or ""
    return policy_document(text) if str(text).strip() else None


def _boundary(reader: _Reader, ids: Mapping[str, str]) -> tuple[PermissionSetBoundary | None, str]:
    """The set's boundary, or why it is unknown. After one failure (denied, or an endpoint
    without the API) the other sets are not asked: the answer would be the same, each time
    after every retry."""
    if reader.boundary_gap:
        return None, reader.boundary_gap
    fetch = reader.one(reader.sso, "get_permissions_boundary_for_permission_set", **ids)
    found, got = reader.ledger.call(
        GET_BOUNDARY, PART_IDENTITY_CENTER_BOUNDARIES, fetch, boundary_from
    )
    if got.ok or got.error_code == "ResourceNotFoundException":  # AWS's "no boundary"
        return found, ""
    reader.boundary_gap = f"{GET_BOUNDARY} {got.outcome.status.value}"
    return None, reader.boundary_gap


def _permission_set(reader: _Reader, instance_arn: str, arn: str) -> PermissionSet:
    """Describe one set and read its policies. A failed call leaves its field empty; the
    ledger records the gap, which makes the rules needing the part not assessed."""
    call, sso = reader.ledger.call, reader.sso
    ids = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
    part = PART_IDENTITY_CENTER
    base = PermissionSet(arn=arn, name=arn.rsplit("/", 1)[-1])
    fetch = reader.one(sso, "describe_permission_set", **ids)
    described, _ = call(DESCRIBE_PERMISSION_SET, part, fetch, _described(base))
    ps = described or base
    fetch = reader.pages(sso, "list_managed_policies_in_permission_set", **ids)
    managed, _ = call(
        LIST_MANAGED,
        part,
        fetch,
        lambda pages: tuple(sorted(str(p["Arn"]) for p in _items(pages, MANAGED_KEY))),
    )
    fetch = reader.one(sso, "get_inline_policy_for_permission_set", **ids)
    inline, _ = call(GET_INLINE, part, fetch, _inline)
    fetch = reader.pages(sso, "list_customer_managed_policy_references_in_permission_set", **ids)
    refs, _ = call(
        LIST_CUSTOMER_REFS,
        part,
        fetch,
        lambda pages: tuple(
            sorted(
                (_customer_ref(r) for r in _items(pages, "CustomerManagedPolicyReferences")),
                key=lambda r: r.display,
            )
        ),
    )
    boundary, unknown = _boundary(reader, ids)
    fetch = reader.pages(sso, "list_accounts_for_provisioned_permission_set", **ids)
    accounts, _ = call(
        LIST_PROVISIONED_ACCOUNTS,
        part,
        fetch,
        lambda pages: tuple(sorted({str(a) for a in _items(pages, "AccountIds")})),
    )
    return replace(
        ps,
        managed_policy_arns=managed or (),
        inline_policy=inline,
        customer_policies=refs or (),
        boundary=boundary,
        boundary_unknown=unknown,
        provisioned_accounts=accounts or (),
    )


def _provisioning(reader: _Reader, instance_arn: str, account: str) -> tuple[Provisioning, ...]:
    """Current and outdated sets in one account. An endpoint that ignores the status filter
    (moto) lists a set under both: its state is then unknown, never guessed."""
    listed: dict[str, list[ProvisioningState]] = {}
    for status, state in (
        (_CURRENT, ProvisioningState.CURRENT),
        (_OUTDATED, ProvisioningState.OUTDATED),
    ):
        fetch = reader.pages(
            reader.sso,
            "list_permission_sets_provisioned_to_account",
            InstanceArn=instance_arn,
            AccountId=account,
            ProvisioningStatus=status,
        )
        arns, _ = reader.ledger.call(
            LIST_PROVISIONED_SETS,
            PART_IDENTITY_CENTER,
            fetch,
            lambda pages: [str(a) for a in _items(pages, "PermissionSets")],
        )
        for arn in arns or ():
            listed.setdefault(arn, []).append(state)
    return tuple(
        Provisioning(account, arn, states.pop() if len(states) == 1 else ProvisioningState.UNKNOWN)
        for arn, states in sorted((arn, set(states)) for arn, states in listed.items())
    )


def _assignments(
    reader: _Reader, instance_arn: str, account: str, set_arn: str
) -> tuple[AccountAssignment, ...]:
    fetch = reader.pages(
        reader.sso,
        "list_account_assignments",
        InstanceArn=instance_arn,
        AccountId=account,
        PermissionSetArn=set_arn,
    )

    def parse(pages: Sequence[Page]) -> tuple[AccountAssignment, ...]:
        return tuple(
            AccountAssignment(
                account_id=str(a.get("AccountId") or account),
                permission_set_arn=str(a.get("PermissionSetArn") or set_arn),
                principal_type=str(a["PrincipalType"]),
                principal_id=str(a["PrincipalId"]),
            )
            for a in _items(pages, "AccountAssignments")
        )

    found, _ = reader.ledger.call(LIST_ASSIGNMENTS, PART_IDENTITY_CENTER, fetch, parse)
    return found or ()


def user_from(raw: Mapping[str, Any]) -> IdentityStoreUser:
    emails = sorted(raw.get("Emails") or [], key=lambda e: not e.get("Primary", False))
    active = raw.get("Active")  # not every directory reports it
    return IdentityStoreUser(
        user_id=str(raw["UserId"]),
        user_name=str(raw.get("UserName", "")),
        display_name=str(raw.get("DisplayName", "")),
        emails=tuple(str(e["Value"]) for e in emails if e.get("Value")),
        active=active if isinstance(active, bool) else None,
    )


def _group_from(raw: Mapping[str, Any]) -> IdentityStoreGroup:
    return IdentityStoreGroup(
        group_id=str(raw["GroupId"]),
        display_name=str(raw.get("DisplayName", "")),
        description=str(raw.get("Description", "")),
    )


def _identity_store(reader: _Reader, store_id: str) -> dict[str, Any]:
    call, store, part = reader.ledger.call, reader.store, PART_IDENTITY_STORE
    users, _ = call(
        LIST_USERS,
        part,
        reader.pages(store, "list_users", IdentityStoreId=store_id),
        lambda pages: tuple(sorted(map(user_from, _items(pages, "Users")), key=lambda u: u.label)),
    )
    groups, _ = call(
        LIST_GROUPS,
        part,
        reader.pages(store, "list_groups", IdentityStoreId=store_id),
        lambda pages: tuple(
            sorted(map(_group_from, _items(pages, "Groups")), key=lambda g: g.display_name)
        ),
    )
    memberships: list[GroupMembership] = []
    for group in groups or ():

        def parse(pages: Sequence[Page], gid: str = group.group_id) -> list[GroupMembership]:
            # A member is a user; other member kinds (none today) are skipped, not guessed.
            return [
                GroupMembership(gid, str(m["MemberId"]["UserId"]))
                for m in _items(pages, "GroupMemberships")
                if "UserId" in (m.get("MemberId") or {})
            ]

        fetch = reader.pages(
            store, "list_group_memberships", IdentityStoreId=store_id, GroupId=group.group_id
        )
        got, _ = call(LIST_MEMBERSHIPS, part, fetch, parse)
        memberships += got or ()
    if not groups:
        reader.ledger.nothing(LIST_MEMBERSHIPS, part, "no groups: nothing to read")
    return {"users": users or (), "groups": groups or (), "memberships": tuple(memberships)}


def _not_read(ledger: _Ledger, listed: ApiResult) -> None:
    """ListInstances failed or found no instance: the other parts are as missing, or empty."""
    for api, part in (
        (LIST_USERS, PART_IDENTITY_STORE),
        (GET_BOUNDARY, PART_IDENTITY_CENTER_BOUNDARIES),
    ):
        if listed.ok:
            ledger.nothing(api, part)
            continue
        gap = listed.outcome
        reason = f"not read: {LIST_INSTANCES} {gap.status.value}: {gap.message}"
        outcome = replace(gap, api=api, part=part, message=reason, calls=0, seconds=0.0)
        ledger.results[(api, part)] = [ApiResult((), outcome)]


def collect(
    clients: Clients, account_id: str, member_accounts: Sequence[str] = ()
) -> tuple[IdentityCenter | None, tuple[ApiOutcome, ...]]:
    """The instance this account owns, or None (none, or not readable: the outcomes say).

    ``member_accounts``: every account of the organization when an organization run knows
    them; assignments are then listed there too, not only where a set is provisioned.
    """
    ledger = _Ledger()
    reader = _Reader(clients, ledger)
    instances, listed = ledger.call(
        LIST_INSTANCES,
        PART_IDENTITY_CENTER,
        reader.pages(reader.sso, "list_instances"),
        instances_from,
    )
    instance = choose_instance(instances or (), account_id)
    if instance is None:
        _not_read(ledger, listed)
        return None, ledger.outcomes()
    set_arns, _ = ledger.call(
        LIST_PERMISSION_SETS,
        PART_IDENTITY_CENTER,
        reader.pages(reader.sso, "list_permission_sets", InstanceArn=instance.arn),
        lambda pages: [str(a) for a in _items(pages, "PermissionSets")],
    )
    permission_sets = [_permission_set(reader, instance.arn, arn) for arn in set_arns or ()]
    if not set_arns:
        ledger.nothing(GET_BOUNDARY, PART_IDENTITY_CENTER_BOUNDARIES, "no permission sets")
    elif reader.boundary_gap and len(set_arns) > 1:
        (asked,) = ledger.results[(GET_BOUNDARY, PART_IDENTITY_CENTER_BOUNDARIES)]
        note = f"{asked.outcome.message}; not asked again for the other {len(set_arns) - 1} set(s)"
        outcome = replace(asked.outcome, message=note)
        ledger.results[(GET_BOUNDARY, PART_IDENTITY_CENTER_BOUNDARIES)] = [
            replace(asked, outcome=outcome)
        ]
    # Assignments are listed per account and set: where the set is provisioned, in the owner
    # account, and in every member account an organization run names.
    always = {instance.owner_account_id or account_id, *member_accounts}
    assignments = [
        a
        for ps in permission_sets
        for account in sorted(always.union(ps.provisioned_accounts))
        for a in _assignments(reader, instance.arn, account, ps.arn)
    ]
    accounts = sorted(always.union(*(p.provisioned_accounts for p in permission_sets)))
    provisioning = [p for account in accounts for p in _provisioning(reader, instance.arn, account)]
    center = IdentityCenter(
        instance=instance,
        permission_sets=tuple(sorted(permission_sets, key=lambda p: p.name)),
        assignments=tuple(assignments),
        provisioning=tuple(provisioning),
        accounts_listed=tuple(accounts),
        **_identity_store(reader, instance.identity_store_id),
    )
    return center, ledger.outcomes()
