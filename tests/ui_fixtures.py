"""Small trust graphs that follow explorer/graph/schema.py, for render and canvas tests that need no snapshot."""
from __future__ import annotations

import random

import networkx as nx

from explorer.graph import schema as S
from explorer.iam.decision import Requirement
from explorer.render.layout import AccountInfo, Estate

MGMT, DEV, PROD = "111111111111", "222222222222", "333333333333"
FOREIGN = "999999999999"


def arn(acct: str, kind: str, name: str) -> str:
    return f"arn:aws:iam::{acct}:{kind}/{name}"


def small_estate() -> Estate:
    return Estate({MGMT: AccountInfo(MGMT, "management", "", (), True, True),
                   DEV: AccountInfo(DEV, "dev", "acme-dev", ("Workloads", "NonProd"), True, True),
                   PROD: AccountInfo(PROD, "prod", "", ("Workloads", "Prod"), True, True)},
                  name="fixture-org", collected_at="2026-01-02T03:04:05Z")


def _node(g, node, kind, label, acct, **extra):
    g.add_node(node, **{S.KIND: kind, S.LABEL: label, S.ACCOUNT_ID: acct,
                        S.ARN: node if str(node).startswith("arn:") else None, S.TAGS: extra.pop("tags", {}),
                        **extra})


def _edge(g, u, v, action=S.ASSUME_ROLE, state=S.ALLOWED, requires=(), badges=(), reason=""):
    cross = g.nodes[u].get(S.ACCOUNT_ID) != g.nodes[v].get(S.ACCOUNT_ID)
    g.add_edge(u, v, key=action, **{S.ACTION: action, S.STATE: state, S.REQUIRES: requires,
                                   S.CROSS_ACCOUNT: cross, S.BADGES: tuple(badges),
                                   S.REASON: reason or f"{state} by fixture", S.TRUST_DECISION: None,
                                   S.IDENTITY_DECISION: None, S.DECISION: None})


def small_graph() -> nx.MultiDiGraph:
    """Three accounts, every node kind, conditional, denied, cross-account edges and a cycle."""
    g = nx.MultiDiGraph()
    alice = arn(MGMT, "user", "alice")
    bob = arn(DEV, "user", "bob")
    admin = arn(MGMT, "role", "OrgAdmin")
    deploy = arn(DEV, "role", "Deployer")
    ro = arn(PROD, "role", "ReadOnly")
    prod_admin = arn(PROD, "role", "ProdAdmin")
    slr = arn(PROD, "role", "aws-service-role/AWSServiceRoleForSupport")
    lam = arn(DEV, "role", "LambdaExec")
    saml = f"arn:aws:iam::{MGMT}:saml-provider/Okta"
    oidc = f"arn:aws:iam::{DEV}:oidc-provider/token.actions.githubusercontent.com"
    foreign = f"arn:aws:iam::{FOREIGN}:root"
    root_prod = f"arn:aws:iam::{PROD}:root"
    _node(g, alice, S.USER, "alice", MGMT, tags={"team": "platform"})
    _node(g, bob, S.USER, "bob", DEV)
    for r, name, acct in ((admin, "OrgAdmin", MGMT), (deploy, "Deployer", DEV), (ro, "ReadOnly", PROD),
                          (prod_admin, "ProdAdmin", PROD), (lam, "LambdaExec", DEV)):
        _node(g, r, S.ROLE, name, acct, **{S.MAX_SESSION: 7200 if name == "OrgAdmin" else 3600,
                                           S.MAX_SESSION_KNOWN: True})
    _node(g, slr, S.SERVICE_LINKED_ROLE, "AWSServiceRoleForSupport", PROD)
    _node(g, saml, S.SAML_PROVIDER, "Okta", MGMT)
    _node(g, oidc, S.OIDC_PROVIDER, "token.actions.githubusercontent.com", DEV)
    _node(g, "lambda.amazonaws.com", S.SERVICE, "lambda.amazonaws.com", None)
    _node(g, "support.amazonaws.com", S.SERVICE, "support.amazonaws.com", None)
    _node(g, foreign, S.FOREIGN_ACCOUNT, f"account {FOREIGN}", FOREIGN)
    _node(g, root_prod, S.ACCOUNT, "prod (root)", PROD)
    _node(g, S.ANYONE_ID, S.ANYONE, "anyone", None)
    mfa = ((Requirement("aws:MultiFactorAuthPresent", "Bool", ("true",)),),)
    ext = ((Requirement("sts:ExternalId", "StringEquals", ("vendor-123",)),),)
    _edge(g, alice, admin, state=S.CONDITIONAL, requires=mfa, badges=("MFA",))
    _edge(g, saml, admin, S.ASSUME_ROLE_SAML)
    _edge(g, admin, deploy)
    _edge(g, admin, prod_admin, state=S.CONDITIONAL, requires=mfa, badges=("MFA",))
    _edge(g, bob, deploy)
    _edge(g, deploy, ro)
    _edge(g, ro, deploy)  # a cycle
    _edge(g, oidc, deploy, S.ASSUME_ROLE_WEB_IDENTITY, state=S.CONDITIONAL,
          requires=((Requirement("token.actions.githubusercontent.com:sub", "StringLike", ("repo:acme/*",)),),),
          badges=("Tag",))
    _edge(g, "lambda.amazonaws.com", lam, S.SERVICE_ASSUME)
    _edge(g, "support.amazonaws.com", slr, S.SERVICE_ASSUME)
    _edge(g, foreign, ro, state=S.CONDITIONAL, requires=ext, badges=("ExternalId",))
    _edge(g, root_prod, prod_admin)
    _edge(g, bob, prod_admin, state=S.DENIED, reason="denied by an SCP of prod")
    _edge(g, S.ANYONE_ID, ro, state=S.DENIED, reason="public trust, but RCP denies")
    return g


def large_graph(n_nodes: int = 10_000, n_edges: int = 30_000, accounts: int = 40, seed: int = 0):
    """A random estate of users and roles in `accounts` accounts, for performance checks."""
    rnd = random.Random(seed)
    g = nx.MultiDiGraph()
    accts = [f"{100000000000 + i:012d}" for i in range(accounts)]
    est = Estate({a: AccountInfo(a, f"acct-{i:03d}", "", (f"OU{i % 5}",), True, True) for i, a in enumerate(accts)},
                 name="large", collected_at="")
    nodes = []
    for i in range(n_nodes):
        a = accts[i % accounts]
        kind = S.USER if i % 5 == 0 else S.ROLE
        n = arn(a, kind, f"p{i}")
        _node(g, n, kind, f"p{i}", a, **({S.MAX_SESSION: 3600} if kind == S.ROLE else {}))
        nodes.append(n)
    # tiers make it chain left to right like a real estate: users -> tier-1 roles -> tier-2 roles ...
    tiers = [[n for j, n in enumerate(nodes) if g.nodes[n][S.KIND] == S.ROLE and j % 4 == t] for t in range(4)]
    users = [n for n in nodes if g.nodes[n][S.KIND] == S.USER]
    sources = [users] + tiers[:-1]
    states = (S.ALLOWED, S.ALLOWED, S.CONDITIONAL, S.DENIED)
    count = 0
    while count < n_edges:
        t = rnd.randrange(4)
        u = rnd.choice(sources[t])
        v = rnd.choice(tiers[t]) if rnd.random() < 0.97 else rnd.choice(tiers[0])
        if u == v or g.has_edge(u, v):
            continue
        st = rnd.choice(states)
        _edge(g, u, v, state=st, badges=("MFA",) if st == S.CONDITIONAL else ())
        count += 1
    return g, est


def open_demo_window(qtbot, tmp_path, ready=None):
    """The main window on the bundled demo organization, shown offscreen, with its own settings file, once the
    load and the scene are done (and `ready(window)` holds, when given)."""
    from PySide6 import QtCore

    from conftest import DEMO_ORG
    from explorer.ui.main_window import MainWindow
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(settings=settings)
    w.resize(1400, 900)
    qtbot.addWidget(w)
    w.show()
    w.open_path(DEMO_ORG)
    assert w.model.wait(60000)
    qtbot.waitUntil(lambda: w.canvas.scene_data is not None and (ready is None or ready(w)), timeout=30000)
    return w
