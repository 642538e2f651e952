"""Problems of the snapshot's policy documents, as load issues the analyst sees next to the loader's own.

    issues = policy_issues(tg)   # list[LoadIssue], deterministic order

Every policy document of `tg.snapshot` (inline and managed policies of users, roles and groups, permissions
boundaries, trust policies, SCPs, RCPs, resource policies) is compiled through `tg.compiler` (documents the graph
build already compiled are not compiled again) and each problem the engine's grammar check recorded becomes one
LoadIssue naming the file, the JSON path of the statement and the policy with its owner. An invalid statement never
matches (the rest of the policy still applies); a policy-level problem (e.g. an Effect other than "Allow"/"Deny",
G3) makes the engine ignore the whole policy: the message says which, and what that does to the answers: an ignored
Deny statement (or a whole policy holding Deny statements) "access it would deny may be shown as allowed", an
ignored Allow statement "access it would allow may be missing". Engine warnings (nothing ignored) are "info".

The `where` of an issue is the JSON path of the document (from the model's "file#path" source) followed by the path
inside the decoded document. A document may be stored in the file as a JSON or URL-encoded string (SCP `Content`,
raw IAM API output), where that path does not resolve as such; the loader does not record the encoding, so the
message names the document's own path: "(inside the policy document at PATH, decoded first if the file stores it
as an encoded string)".

    dropped_policies(issues) -> DroppedPolicies   how many whole policies / statements the problems made the engine
                                                  ignore, and how many of them deny or allow access
    dropped_text(dropped) -> str | None           the "answers may be incomplete: ..." caveat of a text answer

A managed policy is reported once, not once per principal attaching it. The result is cached on the graph (it does
not depend on the context), so a background job can compute it and the window read it at once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from explorer.snapshot.model import RCP, SCP, ManagedPolicy, PolicyRef, Snapshot, split_source
from explorer.snapshot.report import ERROR, INFO, WARNING, LoadIssue

_PATH = re.compile(r"^(\$\S*?):?(?:\s+|$)")
_STATEMENT = re.compile(r"^\$\.Statement(?:\[(\d+)\])?")
_NATURAL = re.compile(r"(\d+)")
_CACHE_ATTR = "_policy_issues"

__all__ = ["policy_issues", "cached_policy_issues", "dropped_policies", "dropped_text",
           "DroppedPolicies", "DENY_NOTE", "ALLOW_NOTE"]

# What an ignored statement (or whole policy) does to the answers; `dropped_policies` recognizes the issues by them.
DENY_NOTE = "access it would deny may be shown as allowed"
ALLOW_NOTE = "access it would allow may be missing"
_WHOLE_SKIPPED = "the whole "
_STATEMENT_SKIPPED = "statement "
_IGNORED_ANYWAY = "the whole policy is ignored anyway"


def cached_policy_issues(tg) -> list[LoadIssue] | None:
    """What `policy_issues(tg)` returned before, or None when it has not run on this graph yet."""
    cached = getattr(tg, "__dict__", {}).get(_CACHE_ATTR)
    return None if cached is None else list(cached)


def policy_issues(tg, progress=None) -> list[LoadIssue]:
    """The grammar problems of every policy document of the graph's snapshot (see the module docstring).
    `progress(done, total, message)` is called now and then (a background job may raise from it to cancel)."""
    cached = cached_policy_issues(tg)
    if cached is not None:
        return cached
    compiler = tg.compiler
    if compiler is None:  # pragma: no cover - a graph always has one after build_trust_graph
        from explorer.graph.policies import PolicyCompiler
        compiler = tg.compiler = PolicyCompiler()
    issues: list[LoadIssue] = []
    seen_docs: set[tuple[int, str]] = set()
    seen_issues: set[tuple[str, str, str]] = set()
    seen_texts: set[tuple[int, str]] = set()  # a document compiled as two kinds (identity and boundary): once
    specs = _documents(tg.snapshot)
    total = len(specs)
    for n, (document, kind, label, owner, source, doc_suffix) in enumerate(specs):
        if progress is not None and n % 2000 == 0:
            progress(n, total, "checking policy grammar")
        key = (id(document), kind)
        if key in seen_docs:
            continue
        seen_docs.add(key)
        pol = compiler.compile(document, name=label, kind=kind, source=source)
        problems = pol.problems
        warnings = pol.warnings
        if not problems and not warnings:
            continue
        file, base = split_source(source)
        base = base + doc_suffix if base else ""
        policy_level = set(pol.policy_problems)
        whole = f"{label} of {owner}" if owner else label
        for severity, texts in ((WARNING, problems), (INFO, warnings)):
            for text in texts:
                if (id(document), text) in seen_texts:
                    continue
                seen_texts.add((id(document), text))
                _add(issues, seen_issues, _issue(severity, file, base, text, whole, text in policy_level,
                                                 bool(policy_level), document))
    if progress is not None:
        progress(total, total, "checking policy grammar")
    issues.sort(key=_order)
    if hasattr(tg, "__dict__"):
        tg.__dict__[_CACHE_ATTR] = tuple(issues)
    return issues


def _add(issues: list, seen: set, issue: LoadIssue) -> None:
    key = (issue.file, issue.where, issue.message)
    if key not in seen:
        seen.add(key)
        issues.append(issue)


def _issue(severity: str, file: str, base: str, text: str, whole: str, policy_level: bool,
           policy_invalid: bool = False, document=None) -> LoadIssue:
    m = _PATH.match(text)
    inner = m.group(1) if m else ""
    where = base + inner[1:] if base else inner
    st = _STATEMENT.match(inner) if inner else None
    statement = (int(st.group(1)) if st.group(1) is not None else 0) if st else None
    # the problem without the statement's own path ("Effect: 'allow' must be ...", "a statement needs ...")
    detail = text[st.end():] if st else (text[2:] if text.startswith("$.") else text)
    detail = detail.lstrip(".: ").strip() or text
    place = f"statement {statement} of " if statement is not None else ""
    inside = (f" (inside the policy document at {base}, decoded first if the file stores it as an encoded string)"
              if base and inner else "")
    if severity == INFO:
        return LoadIssue(INFO, file, where, f"{place}{whole}: {detail} (a note: nothing is ignored){inside}")
    if policy_level or statement is None:
        effects = _effects(document)
        message = (f"{place}{whole}: {detail}: the whole policy is invalid and ignored (none of its statements "
                   f"applies){_consequences(effects, 'Deny statements', 'Allow statements')}{inside}")
        return LoadIssue(severity, file, where, message, skipped=f"the whole {whole}")
    if policy_invalid:
        rest, effects = f"{_IGNORED_ANYWAY} (another problem)", set()  # the policy's own issue says what it drops
    else:
        rest, effects = "the rest of the policy applies", _effects(document, statement)
    message = (f"{place}{whole}: {detail}: statement ignored (it never matches; {rest})"
               f"{_consequences(effects, 'a Deny statement', 'an Allow statement')}{inside}")
    return LoadIssue(severity, file, where, message, skipped=f"statement {statement} of {whole}")


def _effects(document, statement: int | None = None) -> set[str]:
    """"Deny" / "Allow" for the statement (or all statements) of a decoded document, by its Effect read without
    regard to case (an 'allow' that made the policy invalid was still meant as an Allow)."""
    if not isinstance(document, dict):
        return set()
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return set()
    if statement is not None:
        statements = statements[statement:statement + 1]
    out = set()
    for st in statements:
        effect = st.get("Effect") if isinstance(st, dict) else None
        if isinstance(effect, str) and effect.strip().lower() in ("deny", "allow"):
            out.add(effect.strip().capitalize())
    return out


def _consequences(effects: set[str], deny_name: str, allow_name: str) -> str:
    parts = []
    if "Deny" in effects:
        parts.append(f"{DENY_NOTE} ({deny_name})" if "Allow" in effects else DENY_NOTE)
    if "Allow" in effects:
        parts.append(f"{ALLOW_NOTE} ({allow_name})" if "Deny" in effects else ALLOW_NOTE)
    return ": " + "; ".join(parts) if parts else ""


@dataclass(frozen=True)
class DroppedPolicies:
    """What policy problems made the engine ignore: whole policies and single statements (a statement of a policy
    ignored whole is counted with its policy), and how many of them hold Deny / Allow statements."""
    policies: int = 0
    statements: int = 0
    deny: int = 0   # ignored policies holding Deny statements + ignored Deny statements
    allow: int = 0  # ignored policies holding Allow statements + ignored Allow statements

    def __bool__(self) -> bool:
        return bool(self.policies or self.statements)


def dropped_policies(issues) -> DroppedPolicies:
    """Count what the policy issues (from `policy_issues`) say was ignored: each skipped policy or statement once."""
    seen: dict[str, tuple[bool, bool]] = {}
    for issue in issues or ():
        if issue.severity not in (WARNING, ERROR) or not issue.skipped:
            continue
        skipped = issue.skipped
        if skipped.startswith(_STATEMENT_SKIPPED) and _IGNORED_ANYWAY in issue.message:
            continue  # its policy is ignored whole and counted as such
        if not skipped.startswith((_WHOLE_SKIPPED, _STATEMENT_SKIPPED)):
            continue
        deny, allow = seen.get(skipped, (False, False))
        seen[skipped] = (deny or DENY_NOTE in issue.message, allow or ALLOW_NOTE in issue.message)
    policies = sum(1 for k in seen if k.startswith(_WHOLE_SKIPPED))
    return DroppedPolicies(policies, len(seen) - policies, sum(d for d, _ in seen.values()),
                           sum(a for _, a in seen.values()))


def dropped_text(dropped: DroppedPolicies) -> str | None:
    """"answers may be incomplete: ..." for what policy problems made the engine ignore, or None when nothing."""
    if not dropped:
        return None
    what = []
    if dropped.policies:
        what.append(f"{dropped.policies} whole polic{'y' if dropped.policies == 1 else 'ies'}")
    if dropped.statements:
        what.append(f"{dropped.statements} statement{'' if dropped.statements == 1 else 's'}")
    text = f"answers may be incomplete: policy problems made the engine ignore {' and '.join(what)}"
    if dropped.deny:
        one = dropped.deny == 1
        text += f"; {dropped.deny} of them den{'ies' if one else 'y'}: access {'it' if one else 'they'} would deny " \
                "may be shown as allowed"
    if dropped.allow:
        one = dropped.allow == 1
        text += f"; {dropped.allow} of them allow{'s' if one else ''}: access {'it' if one else 'they'} would " \
                "allow may be missing"
    return text


def _order(issue: LoadIssue) -> tuple:
    return (_natural(issue.file), _natural(issue.where), {ERROR: 0, WARNING: 1, INFO: 2}.get(issue.severity, 3),
            issue.message)


def _natural(text: str) -> tuple:
    return tuple(int(p) if i % 2 else p for i, p in enumerate(_NATURAL.split(text)))


# --- the documents ----------------------------------------------------------------------------------------------

def _managed_suffix(policy: ManagedPolicy | None) -> str:
    if policy is not None and policy.default_version_id:
        return f".PolicyVersionList[?(@.VersionId=='{policy.default_version_id}')].Document"
    return ".PolicyVersionList[?(@.IsDefaultVersion)].Document"


def _documents(snap: Snapshot) -> list[tuple]:
    """(document, kind, policy label, owner, source, JSON path from the source to the document) of every policy
    document, in a deterministic order; managed policies first (so a shared one is named by its own entry)."""
    out: list[tuple] = []
    managed: dict[str, ManagedPolicy] = {}
    for acct in snap.accounts.values():
        for arn, p in acct.managed_policies.items():
            managed.setdefault(arn, p)
            if p.document is not None:
                owner = "" if p.is_aws_managed else f"account {acct.id}"
                label = f"AWS managed policy {p.name}" if p.is_aws_managed else f"managed policy {p.name}"
                out.append((p.document, "identity", label, owner, p.source, _managed_suffix(p)))
    boundary_ids: set[int] = set()
    for acct in snap.accounts.values():
        for group in acct.groups.values():
            _refs(out, group.inline_policies, f"group {group.name} ({acct.id})", managed)
            _refs(out, group.attached_policies, f"group {group.name} ({acct.id})", managed)
        for kind_name, principals in (("user", acct.users), ("role", acct.roles)):
            for pr in principals.values():
                owner = f"{kind_name} {pr.name} ({acct.id})"
                _refs(out, pr.inline_policies, owner, managed)
                _refs(out, pr.attached_policies, owner, managed)
                b = pr.permissions_boundary
                if b is not None and b.document is not None and id(b.document) not in boundary_ids:
                    boundary_ids.add(id(b.document))
                    p = managed.get(b.arn or "")
                    label = f"permissions boundary {b.name}"
                    out.append((b.document, "boundary", label, "" if p is not None else owner, b.source,
                                _managed_suffix(p) if b.kind == "managed" else ".PolicyDocument"))
        for role in acct.roles.values():
            if role.trust_policy is not None:
                out.append((role.trust_policy, "trust", f"trust policy of role {role.name} ({acct.id})", "",
                            role.source, ".AssumeRolePolicyDocument"))
        for rp in acct.resource_policies.values():
            if rp.policy is not None:
                out.append((rp.policy, "resource", f"resource policy of {rp.arn}", "", rp.source, ".Policy"))
    org = snap.organization
    if org is not None:
        for p in org.policies:
            if p.document is not None and p.type in (SCP, RCP):
                kind = "scp" if p.type == SCP else "rcp"
                out.append((p.document, kind, f"{kind.upper()} {p.name}", "", p.source, ".Content"))
    return out


def _refs(out: list, refs: list[PolicyRef], owner: str, managed: dict) -> None:
    for ref in refs:
        if ref.document is None:
            continue  # the loader reported it (not in the snapshot)
        if ref.kind == "managed":
            p = managed.get(ref.arn or "")
            if p is not None and p.document is ref.document:
                continue  # already listed once with the managed policies
            out.append((ref.document, "identity", f"managed policy {ref.name}", "", ref.source, _managed_suffix(p)))
        else:
            out.append((ref.document, "identity", f"inline policy {ref.name}", owner, ref.source, ".PolicyDocument"))
