"""Engine benchmark: evaluations per second on generated requests against realistic policy sets.

    python benchmarks/bench_engine.py [--requests N] [--seed S]

Policy sets: a 20-statement customer policy, AdministratorAccess- and ReadOnly-style policies, a permissions
boundary, a 3-level SCP chain (root / OU / account), an RCP, and an S3 bucket policy plus a role trust policy.
Every policy is compiled once; the requests are built before timing starts. Prints the numbers; target is
20,000 evaluations per second on one core.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from explorer.iam import Context, Request, Settings, compile_policy, evaluate  # noqa: E402
from explorer.iam.principal import IAM_USER, ROLE_SESSION, Principal  # noqa: E402

V = "2012-10-17"
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
SERVICES = {
    "s3": ["GetObject", "PutObject", "DeleteObject", "ListBucket", "GetBucketPolicy", "PutBucketPolicy"],
    "ec2": ["RunInstances", "DescribeInstances", "TerminateInstances", "StartInstances", "CreateTags"],
    "iam": ["ListUsers", "GetRole", "CreateRole", "AttachRolePolicy", "PassRole", "CreateAccessKey"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan"],
    "lambda": ["InvokeFunction", "CreateFunction", "UpdateFunctionCode"],
    "logs": ["PutLogEvents", "CreateLogStream", "DescribeLogGroups"],
    "sts": ["AssumeRole", "GetCallerIdentity"],
    "secretsmanager": ["GetSecretValue", "PutSecretValue"],
}


def pol(*statements):
    return {"Version": V, "Statement": list(statements)}


def customer_policy():
    st = []
    for i, (svc, actions) in enumerate(SERVICES.items()):
        st.append({"Sid": f"Allow{svc}{i}", "Effect": "Allow", "Action": [f"{svc}:{a}" for a in actions[:3]],
                   "Resource": f"arn:aws:{svc}:*:{ACCOUNTS[0]}:*" if svc != "s3" else "arn:aws:s3:::app-*/*"})
        st.append({"Sid": f"Cond{svc}{i}", "Effect": "Allow", "Action": f"{svc}:Describe*", "Resource": "*",
                   "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                                 "Bool": {"aws:SecureTransport": "true"}}})
    st[-1] = {"Sid": "DenyOutsideCorp", "Effect": "Deny", "Action": "*", "Resource": "*",
              "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]},
                            "Bool": {"aws:ViaAWSService": "false"}}}
    st[-2] = {"Sid": "UserHome", "Effect": "Allow", "Action": "s3:*",
              "Resource": "arn:aws:s3:::home/${aws:username}/*"}
    assert len(st) == 20
    return pol(*st)


ADMIN = pol({"Effect": "Allow", "Action": "*", "Resource": "*"})
READONLY = pol({"Effect": "Allow", "Action": [f"{s}:{v}*" for s in SERVICES for v in ("Get", "List", "Describe")],
                "Resource": "*"})
BOUNDARY = pol({"Effect": "Allow", "NotAction": ["iam:Create*", "iam:Attach*", "organizations:*"], "Resource": "*"})
SCP_ROOT = pol({"Effect": "Allow", "Action": "*", "Resource": "*"})
SCP_OU = pol({"Effect": "Allow", "Action": "*", "Resource": "*"},
             {"Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"], "Resource": "*",
              "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}})
SCP_ACCOUNT = pol({"Effect": "Allow", "Action": "*", "Resource": "*"},
                  {"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "iam:CreateUser"],
                   "Resource": "*"})
RCP = pol({"Effect": "Deny", "Action": ["s3:*", "sts:*", "kms:*"], "Resource": "*", "Principal": "*",
           "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-1"},
                         "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})
BUCKET = pol({"Sid": "TLS", "Effect": "Deny", "Action": "s3:*", "Principal": "*",
              "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"],
              "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
             {"Sid": "Readers", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
              "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in ACCOUNTS]},
              "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"]},
             {"Sid": "Writer", "Effect": "Allow", "Action": "s3:PutObject",
              "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS[0]}:role/writer"},
              "Resource": "arn:aws:s3:::app-data/*"})
TRUST = pol({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": ACCOUNTS[1]},
             "Condition": {"StringEquals": {"sts:ExternalId": "x-1"}}},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS[0]}:root"}})


def build_requests(n: int, seed: int, *, open_context: bool):
    rnd = random.Random(seed)
    compiled = {
        "customer": compile_policy(customer_policy(), name="Customer", kind="identity"),
        "admin": compile_policy(ADMIN, name="AdministratorAccess", kind="identity"),
        "readonly": compile_policy(READONLY, name="ReadOnlyAccess", kind="identity"),
        "boundary": compile_policy(BOUNDARY, name="Boundary", kind="boundary"),
        "bucket": compile_policy(BUCKET, name="app-data bucket policy", kind="resource"),
        "trust": compile_policy(TRUST, name="trust of target", kind="trust"),
    }
    scps = [[compile_policy(SCP_ROOT, name="FullAWSAccess", kind="scp")],
            [compile_policy(SCP_OU, name="RegionLock", kind="scp")],
            [compile_policy(SCP_ACCOUNT, name="AccountGuard", kind="scp")]]
    rcps = [[compile_policy(RCP, name="OrgOnly", kind="rcp")]]
    identity_sets = [[compiled["customer"]], [compiled["admin"]], [compiled["readonly"]],
                     [compiled["customer"], compiled["readonly"]]]
    principals = []
    for i in range(50):
        acct = rnd.choice(ACCOUNTS)
        if i % 2:
            principals.append(Principal(f"arn:aws:iam::{acct}:user/u{i}", IAM_USER, acct))
        else:
            principals.append(Principal(f"arn:aws:sts::{acct}:assumed-role/r{i}/s", ROLE_SESSION, acct,
                                        role_arn=f"arn:aws:iam::{acct}:role/r{i}"))
    settings = Settings()
    requests = []
    for _ in range(n):
        p = rnd.choice(principals)
        svc = rnd.choice(list(SERVICES))
        action = f"{svc}:{rnd.choice(SERVICES[svc])}"
        resource_policy = None
        acct = rnd.choice(ACCOUNTS)
        if svc == "s3":
            resource = rnd.choice(["arn:aws:s3:::app-data/k", "arn:aws:s3:::app-logs/x/y", f"arn:aws:s3:::home/u1/f"])
            resource_policy = compiled["bucket"] if "app-data" in resource else None
            r_acct = ACCOUNTS[0]
        elif action == "sts:AssumeRole":
            resource = f"arn:aws:iam::{acct}:role/target"
            resource_policy = compiled["trust"]
            r_acct = acct
        else:
            resource = f"arn:aws:{svc}:us-east-1:{acct}:thing/{rnd.randint(1, 99)}"
            r_acct = acct
        values = {}
        if not open_context:
            values = {"aws:SourceIp": rnd.choice(["10.1.2.3", "203.0.113.9"]),
                      "aws:SecureTransport": rnd.choice(["true", "false"]),
                      "aws:RequestedRegion": rnd.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
                      "aws:ViaAWSService": "false"}
            if rnd.random() < 0.5:
                values["aws:PrincipalOrgID"] = "o-1"
        in_org = p.account_id != ACCOUNTS[2]
        requests.append(Request(
            principal=p, action=action, resource=resource, resource_account=r_acct,
            context=Context(values, closed=not open_context),
            identity_policies=rnd.choice(identity_sets),
            permissions_boundary=compiled["boundary"] if rnd.random() < 0.3 else None,
            scps=scps if in_org else None, rcps=rcps if r_acct != ACCOUNTS[2] else None,
            resource_policy=resource_policy, settings=settings))
    return requests


def run(n: int, seed: int, open_context: bool, repeats: int) -> float:
    requests = build_requests(n, seed, open_context=open_context)
    for r in requests[:200]:  # warm-up (compiles patterns, fills caches as a long-running process would)
        evaluate(r)
    counts = {"Allow": 0, "ImplicitDeny": 0, "ExplicitDeny": 0}
    conditional = 0
    for r in requests:
        d = evaluate(r)
        counts[d.result.value] += 1
        conditional += bool(d.requirements)
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        for r in requests:
            evaluate(r)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    label = "open context (unknown keys -> requirements)" if open_context else "closed context"
    best_cpu = min(cpus)
    print(f"{label}: {n} evaluations x {repeats} runs; best {n / best_cpu:,.0f} evaluations/s of CPU time "
          f"({best_cpu / n * 1e6:.1f} us each), median {n / sorted(cpus)[len(cpus) // 2]:,.0f}/s; "
          f"best wall-clock {n / min(walls):,.0f}/s")
    print(f"    decisions: {counts}, conditional allows: {conditional}")
    return n / best_cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}; target 20,000 evaluations/s on one core "
          f"(CPU time of this process: other processes on a shared machine do not count)")
    closed = run(args.requests, args.seed, open_context=False, repeats=args.repeats)
    opened = run(args.requests, args.seed, open_context=True, repeats=args.repeats)
    print(f"target {'met' if min(closed, opened) >= 20000 else 'NOT met'}: closed {closed:,.0f}/s, "
          f"open {opened:,.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
