"""The portal's Rego policies in-process (regopy), and the same decisions through the real OPA binary."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from portal_api.policy import POLICY_DIR, PolicyBundle, PolicyEngine

ROOT = Path(__file__).resolve().parents[3]
DATA = json.loads((POLICY_DIR / "data.json").read_text())
TENANT_ROLES = [*DATA["authz"]["tenant_roles"], "owner"]  # "owner" is not a role: it must grant nothing
PLATFORM_ROLES = [*DATA["authz"]["platform_roles"]]
ACTIONS = sorted(
    {a for actions in DATA["authz"]["tenant_roles"].values() for a in actions}
    | {a for actions in DATA["authz"]["platform_roles"].values() for a in actions}
)


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(PolicyBundle.load())


def subject(tenant_roles=None, platform_roles=()):
    return {"id": "u1", "tenant_roles": tenant_roles or {}, "platform_roles": list(platform_roles)}


KEY_ROLES = [*DATA["authz"]["key_roles"], "admin"]  # "admin" is not a key role: never grantable


def resource(tenant: str, action: str, role: str | None = None) -> dict:
    """The resource of `action`; creating a key names the role it hands out."""
    return {"tenant": tenant, "key_role": role} if action == "apikey:create" else {"tenant": tenant}


def decision_corpus() -> list[dict]:
    """Every tenant role and platform role, every action (every key role for key creation), own tenant vs
    another tenant vs a resource owned by another tenant."""
    corpus = []
    for role, action, key_role, (tenant, owner) in itertools.product(
        TENANT_ROLES, ACTIONS, KEY_ROLES, [("acme", "acme"), ("beta", "beta"), ("acme", "beta")]
    ):
        if key_role == KEY_ROLES[0] or action == "apikey:create":
            corpus.append({"subject": subject({"acme": [role]}), "tenant": tenant, "action": action,
                           "resource": resource(owner, action, key_role)})  # fmt: skip
    for role, action, key_role, owner in itertools.product(PLATFORM_ROLES, ACTIONS, KEY_ROLES, ("beta", "acme")):
        if key_role == KEY_ROLES[0] or action == "apikey:create":
            corpus.append({"subject": subject(platform_roles=[role]), "tenant": "beta", "action": action,
                           "resource": resource(owner, action, key_role)})  # fmt: skip
    return corpus


def test_no_tenant_role_reaches_another_tenant(engine):
    for case in decision_corpus():
        if case["subject"]["tenant_roles"] and (case["tenant"] != "acme" or case["resource"]["tenant"] != "acme"):
            assert not engine.allow(case), case


def test_roles_grant_exactly_their_actions(engine):
    for role, actions in DATA["authz"]["tenant_roles"].items():
        for action in ACTIONS:
            case = {"subject": subject({"acme": [role]}), "tenant": "acme", "action": action,
                    "resource": resource("acme", action, "viewer")}  # fmt: skip
            assert engine.allow(case) is (action in actions), (role, action)


def test_no_key_carries_an_action_its_creator_does_not_hold_in_the_tenant(engine):
    roles = DATA["authz"]["tenant_roles"]
    for case in decision_corpus():
        if case["action"] == "apikey:create" and engine.allow(case):
            creator = {**case, "resource": {"tenant": case["tenant"]}}
            for action in roles[case["resource"]["key_role"]]:
                assert engine.allow({**creator, "action": action}), (case, action)


def test_the_guard_answers_allow_context_and_every_field_in_one_query(engine):
    auditor = {"subject": subject({"acme": ["auditor"]}), "tenant": "acme", "action": "overview:read",
               "resource": {"tenant": "acme"}}  # fmt: skip
    verdict = engine.decision(auditor)
    assert verdict.allowed and (verdict.legal_basis, verdict.purpose) == ("legitimate_interest", "audit")
    assert verdict.shown == {"display_name", "state", "cohort"}
    assert verdict.withheld == {"plan", "webhook_url", "contact_email"}
    refused = engine.decision({**auditor, "tenant": "beta"})
    assert not refused.allowed and refused.shown == frozenset()


def test_every_view_names_its_fields_for_the_guard(engine):
    views = DATA["fields"]["views"]
    read_actions = {a for a in ACTIONS if a.endswith(":read") and a != "board:read"} | {"evidence:download"}
    assert read_actions <= set(views), read_actions - set(views)
    audiences = DATA["fields"]["audiences"]
    assert all(audience in audiences for fields in views.values() for audience in fields.values())


def test_the_bundle_hash_changes_with_any_policy_byte(tmp_path):
    for path in POLICY_DIR.iterdir():
        (tmp_path / path.name).write_text(path.read_text())
    original = PolicyBundle.load(tmp_path).sha256
    assert original == PolicyBundle.load().sha256
    (tmp_path / "data.json").write_text((tmp_path / "data.json").read_text().replace('"viewer"', '"viewer" '))
    assert PolicyBundle.load(tmp_path).sha256 != original


def opa() -> str:
    binary = shutil.which("opa") or str(ROOT / ".local/bin/opa")
    if not Path(binary).exists():
        pytest.fail("the OPA binary is missing: `make opa` builds it from the Go module proxy")
    return binary


def opa_eval(query: str, corpus: list[dict], tmp_path: Path) -> list:
    corpus_file = tmp_path / "corpus.json"
    corpus_file.write_text(json.dumps({"corpus": corpus}))
    modules = [str(p) for p in POLICY_DIR.glob("*.rego") if not p.name.endswith("_test.rego")]
    args = [opa(), "eval", "--format", "json", "-d", str(POLICY_DIR / "data.json"), "-d", str(corpus_file)]
    for module in modules:
        args += ["-d", module]
    out = subprocess.run([*args, query], capture_output=True, text=True, check=True).stdout
    value: list[Any] = json.loads(out)["result"][0]["expressions"][0]["value"]
    return value


def test_opa_and_regopy_give_identical_authorization_decisions(engine, tmp_path):
    corpus = decision_corpus()
    by_opa = opa_eval("[d | some c in data.corpus; d := data.portal.authz.allow with input as c]", corpus, tmp_path)
    by_regopy = [engine.allow(case, memo=False) for case in corpus]
    assert len(by_opa) == len(corpus) > 100
    assert by_opa == by_regopy


def test_opa_and_regopy_give_identical_whole_decisions(engine, tmp_path):
    corpus = decision_corpus()
    by_opa = opa_eval(
        "[[r.allow, r.legal_basis, r.purpose, sort([x | some x in r.shown]), sort([x | some x in r.withheld])]"
        " | some c in data.corpus; r := data.portal.decision.result with input as c]",
        corpus,
        tmp_path,
    )
    by_regopy = [
        [v.allowed, v.legal_basis, v.purpose, sorted(v.shown), sorted(v.withheld)]
        for v in (engine.decision(case, memo=False) for case in corpus)
    ]
    assert len(by_opa) == len(corpus) and by_opa == by_regopy


def test_memoised_answers_equal_fresh_evaluations(engine):
    for case in decision_corpus():
        assert engine.allow(case) == engine.allow(case, memo=False) == engine.allow(case)
