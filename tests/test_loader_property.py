"""Property: whatever is done to a valid snapshot (keys deleted, types changed, strings corrupted, bytes
truncated), the loader either loads it or raises SnapshotError; it never raises anything else, the safety net
that turns an unexpected failure into a report entry is never needed, and what it loads is well typed."""
import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.errors import SnapshotError
from explorer.snapshot import Snapshot, load_snapshot
from explorer.snapshot.policy_document import try_decode_policy_document

BASIC = Path(__file__).parent / "fixtures" / "loader" / "basic"
FILES = sorted(p.relative_to(BASIC).as_posix() for p in BASIC.rglob("*.json"))
ORIGINAL = {rel: (BASIC / rel).read_bytes() for rel in FILES}
PROD_GAAD = "accounts/444455556666/authorization-details.json"
MGMT_GAAD = "accounts/111122223333/authorization-details.json"

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                         st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)
corrupt_text = st.one_of(
    st.just(""), st.just("%7B%22Version"), st.just("{\"Statement\": "), st.just("arn:aws:iam::12:role/x"),
    st.just("arn:aws:iam::111122223333:role/other"), st.just("2026-13-45T99:00:00Z"), st.just("%"),
    st.just("\"%7B%7D\""), st.just("[]"), st.just("\x00\udcff"), st.text(max_size=20))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _mutate(data, doc):
    """Apply a few random structural mutations to `doc` (in place where possible); return the new root."""
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        paths = list(_paths(doc))
        path = data.draw(st.sampled_from(paths), label="path")
        op = data.draw(st.sampled_from(["delete", "replace", "corrupt-string", "wrap", "empty"]), label="op")
        if not path:
            if op in ("replace", "wrap"):
                doc = data.draw(json_values) if op == "replace" else [doc]
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = data.draw(json_values, label="value")
        elif op == "corrupt-string":
            old = parent[key]
            new = data.draw(corrupt_text, label="text")
            parent[key] = (old[: len(old) // 2] + new) if isinstance(old, str) and data.draw(st.booleans()) else new
        elif op == "wrap":
            parent[key] = [parent[key]]
        else:
            parent[key] = type(parent[key])() if isinstance(parent[key], (dict, list, str)) else None
    return doc


def _mutated_bytes(data, original: bytes) -> bytes:
    kind = data.draw(st.sampled_from(["structure", "structure", "structure", "truncate", "flip"]), label="kind")
    if kind == "truncate":
        return original[: data.draw(st.integers(0, len(original)), label="cut")]
    if kind == "flip":
        raw = bytearray(original)
        for _ in range(data.draw(st.integers(1, 5))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        return bytes(raw)
    doc = _mutate(data, json.loads(original))
    try:
        return json.dumps(doc).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: write what a broken file would hold
        return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _check_loaded(snap: Snapshot) -> None:
    unexpected = [str(i) for i in snap.report.issues if "unexpected problem" in i.message]
    assert not unexpected, unexpected
    for acct in snap.accounts.values():
        assert len(acct.id) == 12 and acct.id.isdigit()
        for principal in [*acct.users.values(), *acct.roles.values(), *acct.groups.values()]:
            assert isinstance(principal.name, str) and principal.name
            assert isinstance(principal.arn, str) and principal.account_id == acct.id
            refs = [*principal.inline_policies, *principal.attached_policies]
            boundary = getattr(principal, "permissions_boundary", None)
            if boundary is not None:
                refs.append(boundary)
            for ref in refs:
                assert ref.document is None or isinstance(ref.document, dict)
                assert isinstance(ref.name, str)
            tags = getattr(principal, "tags", {})
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
        for user in acct.users.values():
            assert all(isinstance(g, str) for g in user.groups)
            assert user.create_date is None or isinstance(user.create_date, datetime)
        for role in acct.roles.values():
            assert role.trust_policy is None or isinstance(role.trust_policy, dict)
            assert isinstance(role.max_session_duration, int) and 3600 <= role.max_session_duration <= 43200
            assert all(isinstance(p, str) for p in role.instance_profiles)
        for policy in acct.managed_policies.values():
            assert policy.document is None or isinstance(policy.document, dict)
        for rp in acct.resource_policies.values():
            assert rp.policy is None or isinstance(rp.policy, dict)
    if snap.organization is not None:
        for policy in snap.organization.policies:
            assert isinstance(policy.document, dict)
            assert all(isinstance(t, str) for t in policy.targets)
        for acct_id in snap.accounts:
            snap.organization.scp_levels(acct_id)
            snap.organization.rcp_levels(acct_id)
    for event in snap.trail_events:
        assert isinstance(event.role_arn, str)


@pytest.fixture(scope="module")
def work_folder():
    folder = Path(tempfile.mkdtemp(prefix="loader-prop-")) / "snap"
    shutil.copytree(BASIC, folder)
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


@settings(max_examples=350, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_snapshot_folder_loads_or_raises_snapshot_error(work_folder, data):
    chosen = data.draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=2, unique=True), label="files")
    try:
        for rel in chosen:
            (work_folder / rel).write_bytes(_mutated_bytes(data, ORIGINAL[rel]))
        try:
            snap = load_snapshot(work_folder)
        except SnapshotError:
            return
        _check_loaded(snap)
    finally:
        for rel in chosen:
            (work_folder / rel).write_bytes(ORIGINAL[rel])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_single_gaad_file_loads_or_raises_snapshot_error(work_folder, data):
    rel = data.draw(st.sampled_from([PROD_GAAD, MGMT_GAAD]), label="file")
    target = work_folder.parent / "single.json"
    target.write_bytes(_mutated_bytes(data, ORIGINAL[rel]))
    try:
        snap = load_snapshot(target)
    except SnapshotError as exc:
        assert str(exc)
        return
    _check_loaded(snap)


@settings(max_examples=800, deadline=None)
@given(value=st.one_of(json_values, corrupt_text, st.text().map(lambda t: "%7B" + t),
                       json_values.map(json.dumps), json_values.map(lambda v: json.dumps(json.dumps(v)))))
def test_policy_document_decoding_never_raises(value):
    document, problem = try_decode_policy_document(value)
    assert (document is None) != (problem is None)
    assert document is None or isinstance(document, dict)
