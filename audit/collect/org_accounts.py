"""Reaching each account of an organization, one at a time, never letting one stop the others.

The caller's own account (the management account or a delegated administrator) is read with
the caller's credentials; every other account through ``sts:AssumeRole`` into the reader role
(session name ``iam-audit``, ExternalId when given). Each account is then collected by today's
single-account :func:`~audit.collect.collector.collect_snapshot`, unchanged. Whatever goes
wrong (suspended, role missing or refusing, throttled, any failure) becomes that account's
:class:`~audit.model_org.AccountCollection`: status, reason and the fix in words.

Thread use: :func:`open_org_access` once, then :func:`collect_account` from any number of
threads (each builds its own boto3 session; the shared STS client is thread-safe).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from audit.collect.calls import call_api
from audit.collect.collector import collect_snapshot
from audit.collect.guard import ReadOnlyViolation
from audit.collect.org_options import SESSION_NAME, TEMPLATE, OrgOptions, role_arn
from audit.collect.organization import collect_organization
from audit.collect.session import Clients, Identity, caller_identity, open_clients
from audit.errors import CollectionError, InputError
from audit.model import ApiOutcome, OutcomeStatus, Snapshot
from audit.model_org import (
    PART_ACCOUNT_ACCESS,
    PART_ORGANIZATION,
    AccountCollection,
    CollectionStatus,
    OrgAccount,
    OrgSnapshot,
    path_text,
)

ACTIONS = ("sts:AssumeRole",)  # the caller's, into each member's reader role
SessionHook = Callable[[str, boto3.session.Session], None]


@dataclass(frozen=True)
class OrgAccess:
    """The caller, made once per run: options, guarded clients, identity, STS client."""

    options: OrgOptions
    clients: Clients
    identity: Identity
    sts: Any  # the caller's guarded STS client (botocore clients are thread-safe)
    # One botocore data loader for every member session: each new session would otherwise
    # parse the service models again (about 0.25 s per client, four clients per account).
    loader: botocore.loaders.Loader = field(default_factory=botocore.loaders.create_loader)


def open_org_access(options: OrgOptions, session: boto3.session.Session | None = None) -> OrgAccess:
    """Credentials and identity of the caller; CollectionError (one line) when there are none."""
    # The caller's clients alone may send sts:AssumeRole (into each member's reader role); the
    # sessions collection then opens, the caller's own account included, may not.
    clients = open_clients(options.collect, session, allow_assume_role=True)
    identity = caller_identity(clients)
    return OrgAccess(options, clients, identity, clients.client("sts"))


_LOADER_LOCK = threading.Lock()


def collect_org_snapshot(access: OrgAccess) -> OrgSnapshot:
    """The organization as the caller sees it (CollectionError if it sees none)."""
    return collect_organization(access.clients, access.identity)


# --- which accounts ----------------------------------------------------------------------------


def _unlisted(account_id: str) -> OrgAccount:
    return OrgAccount(id=account_id, arn="", name="", email="", status="", parent_id="")


def select_accounts(org: OrgSnapshot, options: OrgOptions) -> tuple[OrgAccount, ...]:
    """The accounts to collect, by id: --ou (with every OU below), --accounts, minus --exclude.

    An id given to --accounts that the organization does not list is kept (as an account
    with no status): collecting it says why it could not be read. An --ou the organization
    does not have is an InputError.
    """
    pool = list(org.accounts)
    if options.ous:
        parents: set[str] = set()
        for ou in options.ous:
            node = org.node(ou)
            if node is None:
                partial = (
                    ""
                    if org.has_part(PART_ORGANIZATION)
                    else " (its OU tree was not read completely)"
                )
                raise InputError(
                    f"--ou {ou} is not in organization {org.meta.organization_id}{partial}"
                )
            parents |= set(org.units_under(ou))
        pool = [a for a in pool if a.parent_id in parents]
    if options.accounts:
        wanted = dict.fromkeys(options.accounts)
        known = {a.id for a in org.accounts}
        pool = [a for a in pool if a.id in wanted]
        if not options.ous:
            pool += [_unlisted(i) for i in wanted if i not in known]
    excluded = set(options.exclude)
    return tuple(sorted((a for a in pool if a.id not in excluded), key=lambda a: a.id))


# --- one account ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountResult:
    collection: AccountCollection
    snapshot: Snapshot | None  # None when not collected; without organization context yet


def _fix_for_assume(access: OrgAccess, outcome: ApiOutcome, code: str) -> str:
    if outcome.status is OutcomeStatus.ACCESS_DENIED:
        external = " with the ExternalId you pass" if access.options.external_id else ""
        return (
            f"deploy the reader role: {TEMPLATE} (role {access.options.role_name} trusting "
            f"account {access.identity.account_id}{external}), or check --role-name"
            + (" and --external-id" if access.options.external_id else "")
        )
    if outcome.status is OutcomeStatus.THROTTLED:
        return "run again later, or with a lower --concurrency"
    if code == "RegionDisabledException":
        return f"activate STS in {access.clients.home_region} for the account, or pass --region"
    if code in ("ExpiredToken", "ExpiredTokenException"):
        return "refresh the caller's credentials and run again"
    return "run again; if it persists, check the account in the AWS Organizations console"


def _fix_for_gaps(gaps: tuple[ApiOutcome, ...]) -> str:
    if any(g.status is OutcomeStatus.ACCESS_DENIED for g in gaps):
        return (
            "grant the reader role SecurityAudit and docs/least-privilege-policy.json "
            f"(redeploy {TEMPLATE})"
        )
    if any(g.status is OutcomeStatus.THROTTLED for g in gaps):
        return "run again later, or with a lower --concurrency"
    return "see the coverage section of the account's report"


def session_for(
    credentials: Any, region: str, loader: botocore.loaders.Loader
) -> boto3.session.Session:
    """A session with STS ``Credentials`` that shares ``loader`` (parsed service models)."""
    core = botocore.session.Session()
    core.register_component("data_loader", loader)
    core.set_credentials(
        str(credentials["AccessKeyId"]),
        str(credentials["SecretAccessKey"]),
        str(credentials["SessionToken"]),
    )
    with _LOADER_LOCK:
        session = boto3.session.Session(botocore_session=core, region_name=region)
        # boto3 appends its own data directory to the loader on every session: keep one copy.
        paths = loader.search_paths
        paths[:] = list(dict.fromkeys(paths))
    return session


def collect_account(
    access: OrgAccess,
    org: OrgSnapshot,
    account: OrgAccount,
    *,
    session_hook: SessionHook | None = None,
) -> AccountResult:
    """Collect one account of ``org``; never raises for that account's problems.

    ``session_hook(account_id, session)`` sees each account's boto3 session before collection
    (to count requests, or for tests to inject faults). The snapshot comes back without
    organization context: pass it through :func:`audit.org_context.attach_organization`.
    Only a read-only guard violation (a bug) and KeyboardInterrupt propagate.
    """
    started = time.perf_counter()
    base = AccountCollection(
        account_id=account.id,
        status=CollectionStatus.NOT_COLLECTED,
        account_name=account.name,
        ou_path=path_text(org.ou_path(account.id)),
    )

    def done(
        status: CollectionStatus,
        reason: str = "",
        fix: str = "",
        arn: str = "",
        outcomes: tuple[ApiOutcome, ...] = (),
        snapshot: Snapshot | None = None,
    ) -> AccountResult:
        seconds = round(time.perf_counter() - started, 3)
        record = replace(
            base,
            status=status,
            reason=reason,
            fix=fix,
            role_arn=arn,
            outcomes=outcomes,
            seconds=seconds,
        )
        return AccountResult(record, snapshot)

    if account.suspended:
        return done(
            CollectionStatus.NOT_COLLECTED,
            f"the account is {account.status} in the organization: it cannot be read",
            "none while it is suspended: leave it out with --exclude, or reopen it",
        )
    if not account.status and org.has_part(PART_ORGANIZATION):
        return done(
            CollectionStatus.NOT_COLLECTED,
            f"organization {org.meta.organization_id} lists no account {account.id}",
            "check the account id given to --accounts",
        )
    arn = ""
    assumed: tuple[ApiOutcome, ...] = ()
    if account.id == access.identity.account_id:
        session = access.clients.session
    else:
        arn = role_arn(access.identity.partition, account.id, access.options.role_name)
        params = {"RoleArn": arn, "RoleSessionName": SESSION_NAME}
        if access.options.external_id:
            params["ExternalId"] = access.options.external_id
        result = call_api(
            "sts:AssumeRole",
            PART_ACCOUNT_ACCESS,
            lambda: [access.sts.assume_role(**params)],
        )
        assumed = (result.outcome,)
        if not result.ok:
            return done(
                CollectionStatus.NOT_COLLECTED,
                f"sts:AssumeRole into {arn} failed: {result.outcome.message}",
                _fix_for_assume(access, result.outcome, result.error_code or ""),
                arn,
                assumed,
            )
        try:
            session = session_for(
                result.pages[0]["Credentials"], access.clients.home_region, access.loader
            )
        except (KeyError, IndexError, TypeError) as exc:
            return done(
                CollectionStatus.NOT_COLLECTED,
                f"sts:AssumeRole into {arn}: unexpected response ({type(exc).__name__}: {exc})",
                "run again; if it persists, report it",
                arn,
                assumed,
            )
    if session_hook is not None:
        session_hook(account.id, session)
    try:
        snapshot = collect_snapshot(access.options.collect, session)
    except ReadOnlyViolation:
        raise
    except CollectionError as exc:
        return done(CollectionStatus.NOT_COLLECTED, str(exc), "run again", arn, assumed)
    except Exception as exc:  # noqa: BLE001 - one account's failure must not stop the others
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        return done(
            CollectionStatus.NOT_COLLECTED,
            f"unexpected failure: {detail}",
            "run again",
            arn,
            assumed,
        )
    if snapshot.meta.account_id != account.id:
        return done(
            CollectionStatus.NOT_COLLECTED,
            f"the credentials of {arn or 'the caller'} belong to account "
            f"{snapshot.meta.account_id}, not {account.id}",
            "check the role ARN the reader role deployment created",
            arn,
            assumed,
        )
    gaps = snapshot.failed_outcomes
    if gaps:
        listed = ", ".join(f"{g.api} {g.status.value}" for g in gaps[:5])
        more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
        return done(
            CollectionStatus.PARTIAL,
            f"{len(gaps)} API call(s) denied or failed: {listed}{more}",
            _fix_for_gaps(gaps),
            arn,
            assumed + gaps,
            snapshot,
        )
    return done(CollectionStatus.COLLECTED, arn=arn, outcomes=assumed, snapshot=snapshot)
