"""The IAM policy engine: compile policies once, decide requests (spec iam-semantics.md).

    from explorer.iam import evaluate, compile_policy, Policy
    policy = compile_policy(document, name="AdminAccess", kind="identity")
    decision = evaluate(Request(principal=..., action=..., resource=..., identity_policies=[policy], ...))

No Qt, no networkx: a pure library.
"""
from explorer.iam.context import UNKNOWN, Context
from explorer.iam.decision import (Decision, LayerResult, MatchedStatement, Requirement, Result)
from explorer.iam.principal import Principal
from explorer.iam.request import Request
from explorer.iam.settings import DEFAULT_SETTINGS, Settings
from explorer.iam import conditions as _conditions  # noqa: F401  (loads the negation table)
from explorer.iam.policy import Policy, Statement, compile_policy
from explorer.iam.evaluate import evaluate
from explorer.iam.request_json import parse_request

__all__ = ["evaluate", "compile_policy", "parse_request", "Policy", "Statement", "Context", "UNKNOWN", "Decision",
           "LayerResult", "MatchedStatement", "Requirement", "Result", "Principal", "Request", "Settings",
           "DEFAULT_SETTINGS"]
