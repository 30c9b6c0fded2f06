"""Collection: the only package that talks to AWS (boto3/botocore live here and nowhere else).

``collect_snapshot(CollectOptions(...))`` reads the whole account with a fixed number of
read-only calls and returns an :class:`audit.model.Snapshot`; every API's outcome is in it.
"""

from audit.collect.collector import collect_snapshot
from audit.collect.options import CollectOptions

__all__ = ["CollectOptions", "collect_snapshot"]
