"""Who made an STS assume call, from every userIdentity type CloudTrail writes, and which trust edge that call can
use. An AWSAccount caller (another account's principal, as the role's account logs it) is that account's node:
only an edge from that account (or one of its principals) explains it, and an account the trust does not name is
an unexplained assumption (spec T3; resources/demo-org/README.md rows C09 and C17)."""
from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timezone

from conftest import DEMO_ORG
from test_findings_helpers import A, C, allow_assume, role, run, snapshot, trust

from explorer.analysis.cloudtrail import ANY_ACCOUNT_CALLER, caller_of, overlay
from explorer.cli import main
from explorer.graph import build_trust_graph
from explorer.snapshot import load_snapshot
from explorer.snapshot.loader_common import FileCtx
from explorer.snapshot.loader_trail import load_trail
from explorer.snapshot.model import TrailEvent
from explorer.snapshot.report import LoadReport

D = "123456789012"  # an account no trust names
RULE = "cloudtrail-unexplained-assumption"
VENDOR_ROLE = "arn:aws:iam::666666666666:role/AcmeMonitoringIntegration"
VENDOR = "arn:aws:iam::999999999999:root"
ROLE = f"arn:aws:iam::{A}:role/target"


def record(ident: dict, *, name="AssumeRole", **params) -> dict:
    return {"eventName": name, "eventSource": "sts.amazonaws.com", "eventTime": "2026-11-19T10:00:00Z",
            "eventID": f"id-{ident.get('type')}", "userIdentity": ident,
            "requestParameters": {"roleArn": ROLE, "roleSessionName": "s", **params}}


def loaded(*records) -> list[TrailEvent]:
    out: list[TrailEvent] = []
    load_trail({"Records": list(records)}, FileCtx(LoadReport(), "cloudtrail/x.json"), out)
    return out


def callers(*idents) -> list[tuple[str, str | None]]:
    return [caller_of(e, {}) for e in loaded(*(record(i) for i in idents))]


def test_every_user_identity_type_names_its_caller():
    got = callers(
        {"type": "IAMUser", "accountId": A, "arn": f"arn:aws:iam::{A}:user/u", "principalId": "AIDA1"},
        {"type": "AssumedRole", "accountId": A, "arn": f"arn:aws:sts::{A}:assumed-role/ops/s", "principalId": "AROA1:s"},
        {"type": "FederatedUser", "accountId": A, "arn": f"arn:aws:sts::{A}:federated-user/f", "principalId": f"{A}:f"},
        {"type": "AWSAccount", "accountId": C, "principalId": "AROAEXAMPLE:poller"},
        {"type": "AWSAccount", "principalId": "AIDAEXAMPLE"},  # names no account
        {"type": "Root", "accountId": A, "arn": f"arn:aws:iam::{A}:root", "principalId": A},
        {"type": "Unknown", "accountId": D, "principalId": "AIDAUNKNOWN"},
        {"type": "Unknown", "principalId": "x"},
    )
    assert got == [
        (f"arn:aws:iam::{A}:user/u", A),
        (f"arn:aws:iam::{A}:role/ops", A),
        (f"arn:aws:sts::{A}:federated-user/f", A),
        (f"arn:aws:iam::{C}:root", C),
        (ANY_ACCOUNT_CALLER, None),
        (f"arn:aws:iam::{A}:root", A),
        (f"arn:aws:iam::{D}:root", D),
        ("unknown", None),
    ]
    service, saml, web = loaded(
        record({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}),
        record({"type": "SAMLUser", "identityProvider": "b64", "principalId": "b64:erin"}, name="AssumeRoleWithSAML",
               principalArn=f"arn:aws:iam::{A}:saml-provider/Okta"),
        record({"type": "WebIdentityUser", "identityProvider": f"arn:aws:iam::{A}:oidc-provider/issuer.example"},
               name="AssumeRoleWithWebIdentity"))
    assert caller_of(service, {}) == ("ec2.amazonaws.com", None)
    assert caller_of(saml, {}) == (f"arn:aws:iam::{A}:saml-provider/Okta", A)
    assert caller_of(web, {}) == (f"arn:aws:iam::{A}:oidc-provider/issuer.example", A)


def account_event(account, t=1):
    ident = {"type": "AWSAccount", "principalId": "AROAEXAMPLE:s"}
    if account:
        ident["accountId"] = account
    [ev] = loaded(record(ident))
    ev.event_time = datetime(2026, 5, t, tzinfo=timezone.utc)
    ev.event_id = f"e{t}"
    return ev


def vendor_world(*events):
    vendor = role(A, "target", trust(allow_assume({"AWS": C}, {"StringEquals": {"sts:ExternalId": "x"}})))
    return snapshot(vendor, trail=list(events))


def test_account_caller_uses_only_its_own_accounts_edge():
    snap = vendor_world(account_event(C, 1), account_event(D, 2), account_event(None, 3))
    tg = build_trust_graph(snap)
    ov = overlay(tg)
    use = ov.edge_use[(f"arn:aws:iam::{C}:root", ROLE, "sts:AssumeRole")]
    # C's event and the one naming no account (any account-level source may explain it); D's is not C's use
    assert use.count == 2 and use.callers == {f"arn:aws:iam::{C}:root", ANY_ACCOUNT_CALLER}
    [item] = ov.unexplained
    assert (item.caller, item.role_arn, item.reason_code, item.count) == (f"arn:aws:iam::{D}:root", ROLE, "no-edge", 1)
    [f] = run(snap, RULE, tg=tg)
    assert f.subject == ROLE and f.severity == "high" and f"arn:aws:iam::{D}:root assuming" in f.message


def test_account_caller_is_explained_by_a_principal_of_that_account():
    named = f"arn:aws:iam::{C}:role/poller"
    r = role(A, "target", trust(allow_assume({"AWS": named})))
    snap = snapshot(r, trail=[account_event(C, 1), account_event(D, 2)])
    ov = overlay(build_trust_graph(snap))
    assert ov.edge_use[(named, ROLE, "sts:AssumeRole")].count == 1
    assert [(x.caller, x.reason_code) for x in ov.unexplained] == [(f"arn:aws:iam::{D}:root", "no-edge")]


def test_failed_account_call_keeps_the_account():
    ev = account_event(D, 1)
    ev.error_code = "AccessDenied"
    ov = overlay(build_trust_graph(vendor_world(ev)))
    assert ov.failed == {(f"arn:aws:iam::{D}:root", ROLE, "sts:AssumeRole"): 1}


def test_demo_account_callers():
    # README C09: AWSAccount 999999999999 uses the D10 edge; C17: AWSAccount 210987654321, failed
    ov = overlay(build_trust_graph(load_snapshot(DEMO_ORG)))
    use = ov.edge_use[(VENDOR, VENDOR_ROLE, "sts:AssumeRole")]
    assert use.count == 1 and use.callers == {VENDOR}
    assert ov.failed.get(("arn:aws:iam::210987654321:root", "arn:aws:iam::777777777777:role/ContractorAccess",
                          "sts:AssumeRole")) == 1
    assert not any(ANY_ACCOUNT_CALLER in key for key in ov.failed)


def test_demo_copy_with_c09_from_an_untrusted_account_is_unexplained(tmp_path):
    copy = tmp_path / "demo"
    shutil.copytree(DEMO_ORG, copy)
    [log] = (copy / "cloudtrail").glob("666666666666_*.json.gz")
    doc = json.loads(gzip.decompress(log.read_bytes()))
    [c09] = [r for r in doc["Records"] if r["userIdentity"].get("type") == "AWSAccount"]
    c09["userIdentity"]["accountId"] = D
    log.write_bytes(gzip.compress(json.dumps(doc).encode()))
    snap = load_snapshot(copy)
    tg = build_trust_graph(snap)
    ov = overlay(tg)
    assert (VENDOR, VENDOR_ROLE, "sts:AssumeRole") not in ov.edge_use
    assert (VENDOR, VENDOR_ROLE, "sts:AssumeRole") in ov.unused_edges
    assert [(x.caller, x.reason_code) for x in ov.unexplained if x.role_arn == VENDOR_ROLE] == [
        (f"arn:aws:iam::{D}:root", "no-edge")]
    assert VENDOR_ROLE in {f.subject for f in run(snap, RULE, tg=tg)}


def test_demo_findings_with_wrong_external_id_name_the_vendor(capsys):
    code = main(["findings", str(DEMO_ORG), "--context", "sts:ExternalId=x", "--rule", RULE, "--json"])
    assert code == 0
    messages = [f["message"] for f in json.loads(capsys.readouterr().out)["findings"]
                if f["subject"] == VENDOR_ROLE]
    assert len(messages) == 1 and f"CloudTrail shows {VENDOR} assuming {VENDOR_ROLE}" in messages[0]
    assert ANY_ACCOUNT_CALLER not in messages[0]


def test_the_loader_keeps_what_the_call_passed(tmp_path):
    """requestParameters.externalId and serialNumber (an MFA device) are kept on the event."""
    import json as _json
    from explorer.snapshot.loader_common import FileCtx
    from explorer.snapshot.loader_trail import load_trail
    from explorer.snapshot.report import LoadReport
    rec = {"eventName": "AssumeRole", "eventTime": "2026-11-01T00:00:00Z", "eventID": "e",
           "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/u", "accountId": "111111111111"},
           "requestParameters": {"roleArn": "arn:aws:iam::222222222222:role/r", "roleSessionName": "s",
                                 "externalId": "x-1", "serialNumber": "arn:aws:iam::111111111111:mfa/u"}}
    plain = {**rec, "requestParameters": {"roleArn": "arn:aws:iam::222222222222:role/r", "roleSessionName": "s"}}
    out: list = []
    load_trail(_json.loads(_json.dumps({"Records": [rec, plain]})), FileCtx(LoadReport(), "cloudtrail/x.json"), out)
    assert (out[0].external_id, out[0].mfa_authenticated) == ("x-1", True)
    assert (out[1].external_id, out[1].mfa_authenticated) == (None, None)
