"""Policy documents in the three encodings (object, JSON string, URL-encoded JSON string)."""
import json
from urllib.parse import quote

import pytest

from explorer.errors import PolicyError
from explorer.snapshot.policy_document import decode_policy_document, try_decode_policy_document

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                               "Resource": "arn:aws:s3:::b/50% off/*",
                                               "Condition": {"StringLike": {"s3:prefix": ["a+b", "c d"]}}}]}


@pytest.mark.parametrize("encoded", [
    DOC,
    json.dumps(DOC),
    json.dumps(DOC, indent=2) + "\n",
    quote(json.dumps(DOC), safe=""),
    quote(json.dumps(DOC), safe="{}[]:,"),          # partly encoded: `{%22Version%22:...}`
    json.dumps(quote(json.dumps(DOC), safe="")),     # a JSON string holding the URL-encoded form
    json.dumps(json.dumps(DOC)),                     # encoded twice
], ids=["object", "json-string", "pretty", "url-encoded", "partly-url-encoded", "json-of-url", "twice"])
def test_every_encoding_decodes_to_the_same_document(encoded):
    assert decode_policy_document(encoded) == DOC


def test_object_is_returned_as_is():
    assert decode_policy_document(DOC) is DOC


@pytest.mark.parametrize("value, words", [
    (None, "not null"), (42, "not a number"), (["x"], "not a list"), ("", "empty string"),
    ("{not json", "not valid JSON"), ("%7Bnope", "not valid JSON"), ('"just text"', "not valid JSON"),
    ("[1, 2]", "must be a JSON object, not a list"), ("%20", "empty string after URL decoding"),
])
def test_problems_are_described(value, words):
    document, problem = try_decode_policy_document(value)
    assert document is None and words in problem


def test_decode_raises_policy_error_naming_the_place():
    with pytest.raises(PolicyError) as info:
        decode_policy_document("{", file="a.json", where="$.Policies[0]")
    assert str(info.value).startswith("a.json at $.Policies[0]: the policy document is not valid JSON")
