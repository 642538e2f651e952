"""`info SNAPSHOT [--json]`: what a snapshot holds (accounts, principals, policies, organization, CloudTrail
events), its manifest and gaps, and the load report. Exit 2 when the snapshot cannot be loaded at all."""
from __future__ import annotations

import json
import sys

from explorer.snapshot import Snapshot, load_snapshot
from explorer.snapshot.model import RCP, SCP, Organization

TEXT_ISSUE_LIMIT = 40  # issues printed in text form unless --all-issues


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "info", help="accounts, principals, policies, organization, gaps and load warnings of a snapshot",
        description="Describe a snapshot: counts per account, the organization, CloudTrail events, the manifest "
                    "(collection time, gaps) and every load warning.")
    parser.add_argument("snapshot", help="snapshot folder, folder of authorization-details files, or one such file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--all-issues", action="store_true",
                        help=f"text form: print every load issue (else the first {TEXT_ISSUE_LIMIT}) and every "
                             "policy target")
    parser.set_defaults(func=run)


def run(args) -> int:
    snap = load_snapshot(args.snapshot)
    summary = describe(snap)
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_text(summary, all_issues=args.all_issues))
    return 0


# --- the summary (also usable by the UI) ----------------------------------------------------------------------

COUNT_KEYS = ("users", "roles", "service_linked_roles", "groups", "managed_policies", "customer_managed_policies",
              "saml_providers", "oidc_providers", "resource_policies")


def describe(snap: Snapshot) -> dict:
    """A stable, JSON-ready description of a loaded snapshot."""
    org = snap.organization
    accounts = []
    totals = dict.fromkeys(COUNT_KEYS, 0)
    for acct in snap.accounts.values():
        slr = sum(1 for r in acct.roles.values() if r.is_service_linked)
        counts = {
            "users": len(acct.users),
            "roles": len(acct.roles),
            "service_linked_roles": slr,
            "groups": len(acct.groups),
            "managed_policies": len(acct.managed_policies),
            "customer_managed_policies": sum(1 for p in acct.managed_policies.values() if not p.is_aws_managed),
            "saml_providers": len(acct.saml_providers),
            "oidc_providers": len(acct.oidc_providers),
            "resource_policies": len(acct.resource_policies),
        }
        for key, value in counts.items():
            totals[key] += value
        roles_unknown = sum(1 for r in acct.roles.values() if not r.max_session_duration_known)
        accounts.append({
            "id": acct.id,
            "name": snap.account_name(acct.id) if snap.account_name(acct.id) != acct.id else "",
            "in_organization": snap.in_organization(acct.id),
            "management_account": bool(org and org.is_management(acct.id)),
            "ou_path": org.ou_path_names(acct.id) if org and org.contains(acct.id) else [],
            **counts,
            "roles_with_assumed_max_session": roles_unknown,
            "files": list(acct.source_files),
        })
    events: dict[str, int] = {}
    for event in snap.trail_events:
        events[event.event_name] = events.get(event.event_name, 0) + 1
    manifest = snap.manifest
    report = snap.report
    return {
        "snapshot": {"name": snap.name, "path": snap.path, "form": snap.form},
        "manifest": {
            "format": manifest.format, "version": manifest.version,
            "collected_at": manifest.collected_at.isoformat() if manifest.collected_at else None,
            "partition": manifest.partition, "source": manifest.source,
            "gaps": [{"account": g.account, "what": g.what, "error": g.error} for g in manifest.gaps],
        },
        "totals": {"accounts": len(snap.accounts), **totals},
        "accounts": accounts,
        "organization": _describe_org(snap, org) if org is not None else None,
        "trail_events": {"total": len(snap.trail_events), "by_event": dict(sorted(events.items())),
                         "failed": sum(1 for e in snap.trail_events if e.error_code)},
        "load_report": {
            "files_read": report.files_read,
            "errors": len(report.errors), "warnings": len(report.warnings), "skipped": len(report.skipped),
            "issues": [i.to_json() for i in report.issues],
        },
    }


def _describe_org(snap: Snapshot, org: Organization) -> dict:
    names = {r.id: r.name for r in org.roots}
    names.update({u.id: u.name for u in org.units.values()})
    names.update({a.id: (a.name or a.id) for a in org.accounts.values()})

    def target(tid: str) -> dict:
        if tid.startswith("r-"):
            kind = "root"
        elif tid.startswith("ou-"):
            kind = "ou"
        else:
            kind = "account"
        return {"id": tid, "name": names.get(tid, tid), "kind": kind}

    children: dict[str | None, list] = {}
    for unit in org.units.values():
        children.setdefault(unit.parent_id, []).append(unit)
    members: dict[str | None, list] = {}
    for account in org.accounts.values():
        members.setdefault(account.parent_id, []).append(account)

    def node(unit_id: str, name: str, kind: str, seen: set[str]) -> dict:
        seen = seen | {unit_id}
        return {
            "id": unit_id, "name": name, "kind": kind,
            "accounts": [{"id": a.id, "name": a.name, "state": a.state, "in_snapshot": a.id in snap.accounts}
                         for a in sorted(members.get(unit_id, []), key=lambda a: (a.name, a.id))],
            "children": [node(u.id, u.name, "ou", seen)
                         for u in sorted(children.get(unit_id, []), key=lambda u: (u.name, u.id)) if u.id not in seen],
        }

    def policies(ptype: str) -> list[dict]:
        return [{"id": p.id, "name": p.name, "aws_managed": p.aws_managed, "targets": [target(t) for t in p.targets]}
                for p in org.policies if p.type == ptype]

    scps, rcps = policies(SCP), policies(RCP)
    master = org.master_account_id
    return {
        "id": org.id,
        "feature_set": org.feature_set,
        "management_account": {"id": master, "name": snap.account_name(master) if snap.account_name(master) != master
                               else ""},
        "roots": [node(r.id, r.name, "root", set()) for r in org.roots],
        "accounts": len(org.accounts),
        "scp_count": len(scps),
        "rcp_count": len(rcps),
        "implicit_rcp_full_aws_access": not any(p["name"] == "RCPFullAWSAccess" for p in rcps),
        "scps": scps,
        "rcps": rcps,
    }


# --- text form -------------------------------------------------------------------------------------------------

_COLUMNS = (("users", "users"), ("roles", "roles"), ("service_linked_roles", "(SLR)"), ("groups", "groups"),
            ("managed_policies", "policies"), ("saml_providers", "SAML"), ("oidc_providers", "OIDC"),
            ("resource_policies", "res.pol"))


def format_text(summary: dict, *, all_issues: bool = False) -> str:
    out: list[str] = []
    add = out.append
    snap = summary["snapshot"]
    manifest = summary["manifest"]
    add(f"Snapshot {snap['name']}  ({snap['form']}: {snap['path']})")
    collected = manifest["collected_at"] or "unknown"
    add(f"Collected {collected} by {manifest['source']}, partition {manifest['partition']}")
    add("")

    accounts = summary["accounts"]
    add(f"Accounts ({len(accounts)})")
    name_width = max([len(a["name"]) for a in accounts] + [4])
    header = f"  {'account':<12}  {'name':<{name_width}}" + "".join(f"  {label:>8}" for _, label in _COLUMNS)
    add(header)
    for a in accounts:
        mark = " (management)" if a["management_account"] else ""
        add(f"  {a['id']:<12}  {a['name']:<{name_width}}" + "".join(f"  {a[k]:>8}" for k, _ in _COLUMNS) + mark)
    totals = summary["totals"]
    add(f"  {'total':<12}  {'':<{name_width}}" + "".join(f"  {totals[k]:>8}" for k, _ in _COLUMNS))
    assumed = sum(a["roles_with_assumed_max_session"] for a in accounts)
    if assumed:
        add(f"  MaxSessionDuration unknown for {assumed} role(s) (no roles.json entry): 3600 s assumed")
    add("")

    org = summary["organization"]
    if org is None:
        add("Organization: none described (every account is treated as standalone)")
    else:
        mgmt = org["management_account"]
        add(f"Organization {org['id']}  (feature set {org['feature_set']}), management account {mgmt['id']}"
            + (f" ({mgmt['name']})" if mgmt["name"] else ""))
        for root in org["roots"]:
            _tree(root, "  ", out)
        add(f"  SCPs: {org['scp_count']}    RCPs: {org['rcp_count']}"
            + ("  (+ the implicit RCPFullAWSAccess everywhere)" if org["implicit_rcp_full_aws_access"] else ""))
        for label, key in (("SCP", "scps"), ("RCP", "rcps")):
            for p in org[key]:
                shown = [t["name"] if t["name"] == t["id"] else f"{t['name']} ({t['id']})" for t in p["targets"]]
                if len(shown) > 6 and not all_issues:
                    shown = shown[:5] + [f"and {len(shown) - 5} more"]
                where = ", ".join(shown) or "not attached"
                managed = " [AWS managed]" if p["aws_managed"] else ""
                add(f"    {label} {p['name']}{managed} -> {where}")
    outside = [a["id"] for a in accounts if not a["in_organization"]]
    if org is not None and outside:
        add(f"  Outside the organization: {', '.join(outside)}")
    add("")

    trail = summary["trail_events"]
    if trail["total"]:
        parts = ", ".join(f"{name} {count}" for name, count in trail["by_event"].items())
        add(f"CloudTrail: {trail['total']} assume event(s) ({parts}; {trail['failed']} failed)")
    else:
        add("CloudTrail: no assume events")
    add("")

    gaps = manifest["gaps"]
    if gaps:
        add(f"Gaps the collector reported ({len(gaps)}):")
        for g in gaps:
            add("  " + " / ".join(x for x in (g["account"], g["what"], g["error"]) if x))
    else:
        add("Gaps the collector reported: none")
    add("")

    rep = summary["load_report"]
    add(f"Load report: {rep['errors']} error(s), {rep['warnings']} warning(s), {rep['skipped']} skipped item(s), "
        f"{rep['files_read']} file(s) read")
    issues = [i for i in rep["issues"] if i["severity"] in ("error", "warning")]
    infos = [i for i in rep["issues"] if i["severity"] not in ("error", "warning")]
    shown = issues if all_issues else issues[:TEXT_ISSUE_LIMIT]
    for issue in shown + (infos if all_issues or len(issues) < TEXT_ISSUE_LIMIT else []):
        loc = issue["file"] + (f" at {issue['where']}" if issue["where"] else "")
        line = f"  {issue['severity']}: {loc}: {issue['message']}"
        if issue["skipped"]:
            line += f" (skipped: {issue['skipped']})"
        add(line)
    if len(shown) < len(issues):
        add(f"  ... {len(issues) - len(shown)} more (use --all-issues or --json)")
    return "\n".join(out) + "\n"


def _tree(node: dict, indent: str, out: list[str]) -> None:
    label = "Root" if node["kind"] == "root" else "OU"
    name = node["name"] if node["kind"] != "root" or node["name"] != "Root" else ""
    out.append(f"{indent}{label} {name + ' ' if name else ''}({node['id']})")
    for a in node["accounts"]:
        note = "" if a["in_snapshot"] else "  [not in snapshot]"
        state = "" if a["state"] in ("ACTIVE", "") else f"  [{a['state']}]"
        out.append(f"{indent}  {a['id']}  {a['name']}{state}{note}")
    for child in node["children"]:
        _tree(child, indent + "  ", out)
