"""Service-specific facts kept as data (spec §14): explorer/iam/data/*.json, loaded once."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from explorer.iam.actions import compile_action_pattern

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


@lru_cache(maxsize=None)
def _exempt(key: str) -> tuple:
    return tuple(compile_action_pattern(p) for p in _load("exempt_actions.json")[key])


@lru_cache(maxsize=4096)
def scp_exempt(action_lower: str) -> bool:
    return any(m(action_lower) for m in _exempt("scp_exempt_actions"))


@lru_cache(maxsize=4096)
def rcp_exempt(action_lower: str) -> bool:
    return any(m(action_lower) for m in _exempt("rcp_exempt_actions"))
