"""Collection: the only package that talks to AWS (boto3/botocore live here and nowhere else)."""
