"""Resource-policy checks: grants outside the organization, S3 buckets that other accounts can write while ACLs
still decide object ownership, and one-sided KMS key sharing (spec X1/X2, P2, P3)."""
from __future__ import annotations

from explorer.analysis.findings.model import HIGH, LOW, MEDIUM, Evidence, Remediation
from explorer.analysis.findings.policy import principal_account, statements
from explorer.analysis.findings.registry import check, make_finding
from explorer.analysis.findings.scope import (NARROWING_KEYS, account_root_arns, is_internal, keep_inside_fix,
                                              narrowed_accounts, org_id, outsiders_admitted, statement_evidence)

FAMILY = "resource"


def _label(rp) -> str:
    return f"resource policy of {rp.arn}"


def _evidence(rp, st, **data) -> Evidence:
    return statement_evidence(_label(rp), "resource", rp.source, st, **data)


def _resource_policies(snapshot, service: str | None = None):
    for acct in sorted(snapshot.accounts.values(), key=lambda a: a.id):
        for rp in sorted(acct.resource_policies.values(), key=lambda r: r.arn):
            if isinstance(rp.policy, dict) and (service is None or rp.service == service):
                yield rp


def _grantees(snapshot, rp, st) -> tuple[list[str], bool]:
    """(accounts other than the resource's own that the Allow statement lets in, public?) after its own
    narrowing conditions. Service principals and CanonicalUser are not counted."""
    org = org_id(snapshot)
    if org and any(org in vals for _, _, vals in st.positive_condition(("aws:PrincipalOrgID",))):
        return [], False
    if st.has_not_principal:
        principals = ["*"]
    else:
        principals = st.aws_principals()
    public = False
    accounts: set[str] = set()
    for p in principals:
        if p == "*":
            narrowed = narrowed_accounts(st)
            if narrowed is not None:
                accounts.update(narrowed)
            elif not st.narrows_on(NARROWING_KEYS):
                public = True
        else:
            acct = principal_account(p)
            if acct:
                accounts.add(acct)
    accounts.discard(rp.account_id)
    return sorted(accounts), public


def _actions_of(st) -> list[str]:
    return st.actions() or ["*"]


@check("resource-outside-org", family=FAMILY, severity=HIGH,
       title="Resource policy grants access outside the organization",
       description="A resource policy that names an account outside the organization, or `*` without a "
                   "condition such as aws:PrincipalOrgID, gives principals outside the organization access "
                   "(subject to their own account's permissions). Not reported when a Deny statement of the "
                   "policy or an RCP keeps callers outside the organization out.")
def outside_org(snapshot, tg, settings):
    org = org_id(snapshot)
    for rp in _resource_policies(snapshot):
        for st in statements(rp.policy):
            if not st.is_allow:
                continue
            accounts, public = _grantees(snapshot, rp, st)
            external = [a for a in accounts if not is_internal(snapshot, a)]
            if not external and not public:
                continue
            # the engine decides whether the policy's own Denies and the RCPs let them in
            named = [p for p in (["*"] if "*" in st.aws_principals() or st.has_not_principal else [])
                     + [p for p in st.aws_principals() if principal_account(p) in external]]
            if "*" in named and not public:
                named = [a for a in external]  # a "*" narrowed to outside accounts
            admitted = outsiders_admitted(snapshot, settings.engine, st=st, principals=named, resource_arn=rp.arn,
                                          resource_account=rp.account_id, document=rp.policy, kind="resource",
                                          label=_label(rp), source=rp.source)
            if not admitted:
                continue
            public = public and "*" in admitted
            external = sorted({principal_account(p) for p in admitted if p != "*"})
            fixed, condition = keep_inside_fix(st, org, rp.account_id)
            who = "anyone (Principal \"*\")" if public else f"account(s) {', '.join(external)}"
            yield make_finding(
                "resource-outside-org", rp.arn,
                f"{rp.arn} grants {', '.join(_actions_of(st))} to {who} outside the organization.",
                severity=HIGH if public else MEDIUM,
                evidence=(_evidence(rp, st, external_accounts=external, public=public),),
                remediation=Remediation(
                    f"Remove the outside principals if the sharing is not intended; to keep access inside the "
                    f"organization, add {condition}.", fixed),
                related=account_root_arns(external))


# --- S3: writable from other accounts with ACLs still enabled ----------------------------------------------

def object_ownership(rp) -> str | None:
    extra = rp.extra or {}
    value = extra.get("ObjectOwnership")
    if value is None:
        controls = extra.get("OwnershipControls")
        if isinstance(controls, dict):
            rules = controls.get("Rules") or []
            if rules and isinstance(rules[0], dict):
                value = rules[0].get("ObjectOwnership")
    return str(value) if value is not None else None


WRITE_ACTIONS = ("s3:PutObject", "s3:PutObjectAcl", "s3:RestoreObject", "s3:ReplicateObject")


@check("s3-cross-account-write-acls", family=FAMILY, severity=MEDIUM,
       title="S3 bucket writable from other accounts without BucketOwnerEnforced",
       description="With Object Ownership `ObjectWriter` or `BucketOwnerPreferred` ACLs still work, so objects "
                   "another account writes may stay owned by that account, out of the bucket owner's control "
                   "(spec P3). `BucketOwnerEnforced` disables ACLs. Buckets whose ownership setting the snapshot "
                   "does not hold are not reported (AWS's default for new buckets is BucketOwnerEnforced).")
def s3_cross_account_write(snapshot, tg, settings):
    for rp in _resource_policies(snapshot, "s3"):
        ownership = object_ownership(rp)
        if ownership is None or ownership == "BucketOwnerEnforced":
            continue
        for st in statements(rp.policy):
            if not st.is_allow:
                continue
            writes = [a for a in WRITE_ACTIONS if st.covers_action(a)]
            if not writes:
                continue
            accounts, public = _grantees(snapshot, rp, st)
            if not accounts and not public:
                continue
            who = "anyone" if public else ", ".join(accounts)
            yield make_finding(
                "s3-cross-account-write-acls", rp.arn,
                (f"{rp.arn} lets {who} write objects ({', '.join(writes)}) while Object Ownership is "
                 f"{ownership}: objects written by another account can remain owned by it."),
                severity=HIGH if public else MEDIUM,
                evidence=(_evidence(rp, st, accounts=accounts, public=public, object_ownership=ownership),),
                remediation=Remediation(
                    "Set Object Ownership to BucketOwnerEnforced (aws s3api put-bucket-ownership-controls "
                    "--ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}]), which disables ACLs."),
                related=account_root_arns(accounts))


# --- KMS: one-sided cross-account sharing -------------------------------------------------------------------

KMS_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:DescribeKey",
               "kms:CreateGrant", "kms:Sign", "kms:Verify", "kms:GenerateMac")


def _kms_grants(rp):
    """(statement, other accounts, named principal ARNs or None for a whole-account grant, actions)."""
    for st in statements(rp.policy):
        if not st.is_allow or st.has_not_principal:
            continue
        actions = [a for a in KMS_ACTIONS if st.covers_action(a)]
        if not actions:
            continue
        by_account: dict[str, list[str] | None] = {}
        for p in st.aws_principals():
            acct = principal_account(p)
            if not acct or acct == rp.account_id:
                continue
            if p == acct or p.endswith(":root"):
                by_account[acct] = None
            elif by_account.get(acct, []) is not None:
                by_account.setdefault(acct, []).append(p)
        for acct, named in sorted(by_account.items()):
            yield st, acct, named, actions


def _identity_statement_naming_key(entity, key_arn: str, key_account: str):
    """The entity's own identity statement that allows a KMS action on this key by naming it (its ARN or a
    pattern in the key's account), as (policy ref, statement); None when there is none. A `Resource: "*"` grant
    does not count as naming the key."""
    from fnmatch import fnmatchcase
    from explorer.analysis.findings.policy import as_list
    for ref in list(entity.inline_policies) + list(entity.attached_policies):
        for st in statements(ref.document):
            if not st.is_allow or not any(st.covers_action(a) for a in KMS_ACTIONS):
                continue
            for res in as_list(st.raw.get("Resource")):
                if isinstance(res, str) and res != "*" and key_account in res and fnmatchcase(key_arn, res):
                    return ref, st
    return None


@check("kms-cross-account-one-sided", family=FAMILY, severity=LOW,
       title="KMS key shared across accounts with one side missing",
       description="Cross-account use of a KMS key needs both the key policy (naming the account or principal) "
                   "and an IAM allow in the caller's account (spec P2, X1). A key policy grant that no principal "
                   "of that account can use, or an IAM allow naming a key whose policy does not grant the "
                   "account, is a broken or stale share: one side was removed or never added.")
def kms_one_sided(snapshot, tg, settings):
    from explorer.analysis.admin import _prober
    prober = _prober(snapshot, settings.engine)
    for rp in _resource_policies(snapshot, "kms"):
        granted_accounts = set()
        for st, acct, named, actions in _kms_grants(rp):
            granted_accounts.add(acct)
            account = snapshot.accounts.get(acct)
            if account is None:
                continue  # the other side is not in the snapshot: cannot tell
            if named is None:
                candidates = sorted(list(account.users.values()) + list(account.roles.values()), key=lambda e: e.arn)
            else:
                candidates = [e for e in (snapshot.principal(a) for a in sorted(named)) if e is not None]
            if any(prober.kms_allowed(e, rp, a) for e in candidates for a in actions):
                continue
            who = f"account {acct}" if named is None else ", ".join(named)
            yield make_finding(
                "kms-cross-account-one-sided", rp.arn,
                (f"The key policy of {rp.arn} grants {who} ({', '.join(actions)}), but no principal "
                 f"there has an IAM policy allowing it, so the grant is unused."),
                evidence=(_evidence(rp, st, account=acct, side_missing="identity"),),
                remediation=Remediation(
                    f"Either remove the grant from the key policy, or allow the intended principals of {acct} "
                    f"to use the key in their IAM policies."),
                related=(f"arn:aws:iam::{acct}:root",))
        # the reverse: IAM allows that name this key, from accounts the key policy does not let in
        for account in sorted(snapshot.accounts.values(), key=lambda a: a.id):
            if account.id == rp.account_id:
                continue
            for ent in sorted(list(account.users.values()) + list(account.roles.values()), key=lambda e: e.arn):
                hit = _identity_statement_naming_key(ent, rp.arn, rp.account_id)
                if hit is None:
                    continue
                ref, ist = hit
                if any(prober.kms_allowed(ent, rp, a) for a in KMS_ACTIONS[:3]):
                    continue
                yield make_finding(
                    "kms-cross-account-one-sided", rp.arn,
                    (f"{ent.arn} has an IAM policy allowing use of {rp.arn}, but the key policy does not "
                     f"grant its account or it, so the IAM allow has no effect."),
                    evidence=(statement_evidence(f"{ref.kind} policy {ref.arn or ref.name} of {ent.arn}", "identity",
                                                 ref.source, ist, principal=ent.arn, side_missing="key policy"),),
                    remediation=Remediation(
                        f"Add a key policy statement granting {ent.arn} (or account {account.id}) the needed "
                        f"kms actions, or remove the unused IAM allow."),
                    related=(ent.arn,))
