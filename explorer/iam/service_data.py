"""Service-specific facts kept as data (spec §14): explorer/iam/data/*.json, loaded once."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from explorer.iam.actions import compile_action_pattern
from explorer.iam.arns import parse_arn

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def rcp_services() -> frozenset:
    return frozenset(s.lower() for s in _load("rcp_services.json")["services"])


@lru_cache(maxsize=None)
def resource_side_allow_services() -> frozenset:
    return frozenset(s.lower() for s in _load("resource_side_allow_services.json")["services"])


# What resource_side_requirement() answers
RESOURCE_SIDE_REQUIRED = "required"  # the request names a resource whose own policy must allow (E3, P2)
RESOURCE_SIDE_UNNAMED = "unnamed"  # Resource "*" / a wildcard pattern: no particular resource, hence no policy


@lru_cache(maxsize=None)
def _resource_side_data() -> tuple:
    data = _load("resource_side_allow_services.json")
    types = {svc.lower(): frozenset(types) for svc, types in (data.get("resource_types") or {}).items()}
    identity_only = {(svc.lower(), rtype): frozenset(a.lower() for a in actions)
                     for svc, per_type in (data.get("identity_only") or {}).items()
                     for rtype, actions in per_type.items()}
    no_resource = frozenset(a.lower() for a in data.get("no_resource_actions") or ())
    return types, identity_only, no_resource


def is_unnamed_resource(resource: str) -> bool:
    """Resource "*" or a wildcard pattern: the request names no particular resource."""
    return "*" in resource or "?" in resource


@lru_cache(maxsize=8192)
def resource_side_requirement(action_lower: str, resource: str) -> str | None:
    """Must the resource's own policy allow this request (E3, P2)? RESOURCE_SIDE_REQUIRED for a request on a
    resource of a listed type (a KMS key, or an alias standing for one), RESOURCE_SIDE_UNNAMED for an action
    that acts on such resources when the request names none (Resource "*" or a pattern), None otherwise
    (services without the requirement, actions that act on no resource, a KMS alias for alias management)."""
    services = resource_side_allow_services()
    svc = action_lower.split(":", 1)[0]
    types, identity_only, no_resource = _resource_side_data()
    if action_lower in no_resource:
        return None
    arn = parse_arn(resource)
    if arn is not None and not is_unnamed_resource(resource):
        res_svc = arn.service.lower()
        if res_svc not in services:
            return None
        wanted = types.get(res_svc)
        if wanted is None:  # a listed service without resource types: every resource of it
            return RESOURCE_SIDE_REQUIRED
        rtype = arn.resource_type
        if rtype not in wanted or action_lower in identity_only.get((res_svc, rtype), ()):
            return None
        return RESOURCE_SIDE_REQUIRED
    if svc in services or (arn is not None and arn.service.lower() in services):
        return RESOURCE_SIDE_UNNAMED
    return None


@lru_cache(maxsize=None)
def _exempt(key: str) -> tuple:
    return tuple(compile_action_pattern(p) for p in _load("exempt_actions.json")[key])


@lru_cache(maxsize=4096)
def scp_exempt(action_lower: str) -> bool:
    return any(m(action_lower) for m in _exempt("scp_exempt_actions"))


@lru_cache(maxsize=4096)
def rcp_exempt(action_lower: str) -> bool:
    return any(m(action_lower) for m in _exempt("rcp_exempt_actions"))
