"""Paginated IAM calls ask for AWS's largest page (MaxItems 1000), not its default of 100.

moto returns everything in one page whatever is asked, so only the request shows it: on a real
account of 5,000 users the default meant ten times as many GetAccountAuthorizationDetails calls.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.collect.conftest import collect

PAGINATED = (
    "GetAccountAuthorizationDetails",
    "ListVirtualMFADevices",
    "ListServerCertificates",
    "ListAccountAliases",
)


@pytest.mark.usefixtures("moto_account")
def test_paginated_iam_calls_ask_for_1000_items() -> None:
    session = boto3.session.Session()
    sent: dict[str, Any] = {}

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent[model.name] = params.get("MaxItems")

    session.events.register("before-parameter-build.iam", record)
    snapshot = collect(session)
    assert snapshot.users
    assert {op: sent.get(op) for op in PAGINATED} == dict.fromkeys(PAGINATED, 1000)
