"""Conditions and resources decided where the snapshot decides them, "unknown" elsewhere.

A request is described by :class:`Request`: who calls (their name, ARN, tags), when (the as-of
time), on which principal (its tags, for ``aws:ResourceTag``) and, for ``iam:PassRole``, to which
service. Keys the snapshot cannot know (source IP, VPC, request tags, external ids...) are
unknown; MFA keys are unknown too, with the reason "needs MFA": whoever holds stolen keys has no
MFA device, so such a grant is real only for someone who also holds the device.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from audit.permissions.statements import Statement, wildcard_match

NEEDS_MFA = "needs MFA"


class Tri(Enum):
    """A three-valued answer: the snapshot proves yes, proves no, or cannot tell."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"

    def __and__(self, other: Tri) -> Tri:
        if Tri.NO in (self, other):
            return Tri.NO
        if Tri.MAYBE in (self, other):
            return Tri.MAYBE
        return Tri.YES


@dataclass(frozen=True)
class Caller:
    """The principal making a request, as far as conditions and policy variables need it."""

    kind: str  # "user" or "role"
    name: str
    arn: str
    account_id: str
    user_id: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    caller: Caller
    as_of: datetime
    # Tags of the principal the request is aimed at (aws:ResourceTag); None when not known.
    resource_tags: Mapping[str, str] | None = None
    passed_to_service: str | None = None  # the service a role is passed to (iam:PassRole)


@dataclass(frozen=True)
class Answer:
    tri: Tri
    reasons: tuple[str, ...] = ()


YES = Answer(Tri.YES)
NO = Answer(Tri.NO)

UNKNOWN = object()  # a key whose value the snapshot cannot know
_UNKNOWN = UNKNOWN
_MFA = object()  # an MFA key: unknown, reported as "needs MFA"


def _key_values(key: str, request: Request) -> list[str] | None | object:
    """The values of a condition key for this request; None when the key is absent."""
    k = key.lower()
    caller = request.caller
    if k == "aws:username":
        return [caller.name] if caller.kind == "user" else None
    if k == "aws:principalarn":
        return [caller.arn]
    if k == "aws:principaltype":
        return ["User" if caller.kind == "user" else "AssumedRole"]
    if k == "aws:principalaccount":
        return [caller.account_id]
    if k.startswith("aws:principaltag/"):
        tag = key.split("/", 1)[1]
        value = caller.tags.get(tag)
        return None if value is None else [value]
    if k.startswith("aws:resourcetag/") or k.startswith("iam:resourcetag/"):
        if request.resource_tags is None:
            return _UNKNOWN
        value = request.resource_tags.get(key.split("/", 1)[1])
        return None if value is None else [value]
    if k == "iam:passedtoservice":
        return [request.passed_to_service] if request.passed_to_service else _UNKNOWN
    if k in ("aws:currenttime", "aws:tokenissuetime"):
        # The attacker acts at the audit's as-of time with a fresh session.
        return [request.as_of.isoformat()]
    if k == "aws:epochtime":
        return [str(int(request.as_of.timestamp()))]
    if k in ("aws:multifactorauthpresent", "aws:multifactorauthage"):
        return _MFA
    return _UNKNOWN


def _date(text: str) -> datetime | None:
    try:
        if re.fullmatch(r"\d+", text.strip()):
            return datetime.fromtimestamp(int(text), UTC)
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _compare(base: str, actual: str, expected: str) -> bool | None:
    """One value against one condition value; None when the operator is not understood."""
    if base in ("stringequals", "arnequals"):
        return actual == expected
    if base == "stringequalsignorecase":
        return actual.lower() == expected.lower()
    if base in ("stringlike", "arnlike"):
        return wildcard_match(expected, actual)
    if base == "bool":
        return actual.lower() == expected.lower()
    if base.startswith("date"):
        a, e = _date(actual), _date(expected)
        if a is None or e is None:
            return None
        return {
            "dateequals": a == e,
            "datelessthan": a < e,
            "datelessthanequals": a <= e,
            "dategreaterthan": a > e,
            "dategreaterthanequals": a >= e,
        }.get(base)
    return None


_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
    "datenotequals": "dateequals",
}


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def _one(operator: str, key: str, raw: Any, request: Request) -> Answer:
    op = operator.lower()
    qualifier = ""
    if ":" in op:
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("ifexists")
    base = op.removesuffix("ifexists")
    actual = _key_values(key, request)
    if actual is _MFA:
        return Answer(Tri.MAYBE, (NEEDS_MFA,))
    if actual is _UNKNOWN:
        return Answer(Tri.MAYBE, (f"condition {operator} on {key}",))
    assert actual is None or isinstance(actual, list)
    expected = _values(raw)
    if base == "null":
        absent = actual is None
        return YES if any((e.lower() == "true") == absent for e in expected) else NO
    if actual is None:
        if if_exists or base in _NEGATED or qualifier == "forallvalues":
            return YES
        return NO
    negated = base in _NEGATED
    positive = _NEGATED.get(base, base)
    hits: list[bool] = []
    for value in actual:
        for e in expected:
            got = _compare(positive, value, e)
            if got is None:
                return Answer(Tri.MAYBE, (f"condition {operator} on {key}",))
            hits.append(got)
    matched = any(hits)
    return YES if matched != negated else NO


def evaluate_condition(condition: Mapping[str, Any] | None, request: Request) -> Answer:
    """All operators and keys must hold (AND); the values of one key are alternatives (OR)."""
    if not condition:
        return YES
    tri = Tri.YES
    reasons: list[str] = []
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            return Answer(Tri.MAYBE, (f"condition {operator} not understood",))
        for key, raw in block.items():
            answer = _one(str(operator), str(key), raw, request)
            if answer.tri is Tri.NO:
                return NO
            tri = tri & answer.tri
            reasons += answer.reasons
    return Answer(tri, tuple(dict.fromkeys(reasons)))


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def fill_variables(pattern: str, request: Request) -> str | None | object:
    """``pattern`` with policy variables filled in; None when one is absent (no match),
    :data:`UNKNOWN` when one cannot be known. Escaped ``${*}`` etc. come back as NUL + char."""
    if "${" not in pattern:
        return pattern
    unknown = False

    def fill(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m.group(1)
        if name in ("*", "?", "$"):
            return "\0" + name  # a literal character, restored below
        values = _key_values(name, request)
        if isinstance(values, list) and values:
            value: str = values[0]
            return value.replace("*", "\0*").replace("?", "\0?")
        if values is None:
            raise LookupError(name)
        unknown = True
        return "*"

    try:
        filled = _VARIABLE.sub(fill, pattern)
    except LookupError:
        return None
    if unknown:
        return _UNKNOWN
    return filled


def _matches(pattern: str, arn: str, request: Request) -> Tri:
    filled = fill_variables(pattern, request)
    if filled is None:
        return Tri.NO
    if filled is _UNKNOWN:
        return Tri.MAYBE
    assert isinstance(filled, str)
    if "\0" in filled:  # escaped literals: compare them literally
        literal = re.escape(filled).replace(r"\*", ".*").replace(r"\?", ".")
        literal = literal.replace("\0.*", r"\*").replace("\0.", r"\?").replace("\0", "")
        return Tri.YES if re.fullmatch(literal, arn) else Tri.NO
    return Tri.YES if wildcard_match(filled, arn) else Tri.NO


def resource_matches(st: Statement, arn: str | None, request: Request) -> Tri:
    """Does the statement apply to resource ``arn`` (None: to some resource of the action)?"""
    if arn is None:
        return Tri.YES if st.some_resource else Tri.NO
    best = Tri.NO
    for pattern in st.resources:
        got = _matches(pattern, arn, request)
        if got is Tri.YES:
            best = Tri.YES
            break
        if got is Tri.MAYBE:
            best = Tri.MAYBE
    if st.not_resource:
        return {Tri.YES: Tri.NO, Tri.NO: Tri.YES, Tri.MAYBE: Tri.MAYBE}[best]
    return best


def applies(st: Statement, arn: str | None, request: Request) -> Answer:
    """Does the statement apply to this request: its resource and its condition together."""
    where = resource_matches(st, arn, request)
    if where is Tri.NO:
        return NO
    cond = evaluate_condition(st.condition, request)
    if cond.tri is Tri.NO:
        return NO
    reasons = cond.reasons + (
        ("resource uses an unknown policy variable",) if where is Tri.MAYBE else ()
    )
    return Answer(where & cond.tri, reasons)


def all_reasons(answers: Iterable[Answer]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r for a in answers for r in a.reasons))
