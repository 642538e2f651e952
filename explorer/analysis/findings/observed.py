"""Findings from the CloudTrail overlay: role assumptions that CloudTrail recorded but the snapshot cannot
explain (no such edge, only a denied edge, or a role missing from the snapshot)."""
from __future__ import annotations

from explorer.analysis.findings.model import HIGH, MEDIUM, Evidence, Remediation, stable_id
from explorer.analysis.findings.registry import check, make_finding

FAMILY = "cloudtrail"


@check("cloudtrail-unexplained-assumption", family=FAMILY, severity=HIGH, needs_graph=True,
       title="Observed role assumption that the snapshot cannot explain",
       description="CloudTrail recorded a successful assumption that the snapshot's trust graph does not allow: "
                   "the snapshot is stale or incomplete (a policy changed, an account or a role is missing), or "
                   "access exists through a path the snapshot does not hold. Either way the picture is wrong.")
def unexplained(snapshot, tg, settings):
    from explorer.analysis.cloudtrail import overlay
    if not snapshot.trail_events:
        return
    for item in overlay(tg).unexplained:
        location = f"{item.caller}|{item.action}"
        yield make_finding(
            "cloudtrail-unexplained-assumption", item.role_arn,
            (f"CloudTrail shows {item.caller} assuming {item.role_arn} ({item.action}) {item.count} time(s) "
             f"between {item.first_seen_text} and {item.last_seen_text}, but {item.reason}."),
            severity=HIGH if item.reason_code in ("no-edge", "denied-edge") else MEDIUM,
            evidence=(Evidence(policy="CloudTrail", policy_kind="cloudtrail", json_path=item.sources[0] if item.sources else "$",
                               source=item.sources[0] if item.sources else "", data=item.to_json()),),
            remediation=Remediation(
                "Re-collect the snapshot (including every account involved); if it still does not explain the "
                "access, investigate the caller's credentials."),
            related=(item.caller,),
            id=stable_id("cloudtrail-unexplained-assumption", item.role_arn, location))
