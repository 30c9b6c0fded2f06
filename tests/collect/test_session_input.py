"""Where collection is pointed (profile, regions, endpoint): mistakes are one line, up front."""

from __future__ import annotations

import pytest

from audit.collect import CollectOptions, collect_snapshot
from audit.errors import CollectionError


def test_unknown_profile_from_aws_profile_is_named(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope-from-env")
    with pytest.raises(CollectionError, match="^AWS profile 'nope-from-env' not found$"):
        collect_snapshot(CollectOptions(quiet=True))
