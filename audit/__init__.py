"""iam-audit: a read-only AWS IAM audit and reporting tool."""

__version__ = "0.1.0"
