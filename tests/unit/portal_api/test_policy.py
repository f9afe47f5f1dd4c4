"""The portal's Rego policies in-process (regopy), and the same decisions through the real OPA binary."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

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


def decision_corpus() -> list[dict]:
    """Every tenant role and platform role, every action, own tenant vs another tenant vs a foreign resource."""
    corpus = []
    for role, action, (tenant, resource) in itertools.product(
        TENANT_ROLES, ACTIONS, [("acme", "acme"), ("beta", "beta"), ("acme", "beta")]
    ):
        corpus.append(
            {"subject": subject({"acme": [role]}), "tenant": tenant, "action": action, "resource": {"tenant": resource}}
        )
    for role, action in itertools.product(PLATFORM_ROLES, ACTIONS):
        corpus.append(
            {
                "subject": subject(platform_roles=[role]),
                "tenant": "beta",
                "action": action,
                "resource": {"tenant": "beta"},
            }
        )
    return corpus


def field_corpus() -> list[dict]:
    return [
        {"tenant": "acme", "legal_basis": basis, "purpose": purpose}
        for basis in ("contract", "legitimate_interest", "consent", "none")
        for purpose in ("operations", "audit", "billing", "marketing")
    ]


def test_no_tenant_role_reaches_another_tenant(engine):
    for case in decision_corpus():
        if case["subject"]["tenant_roles"] and (case["tenant"] != "acme" or case["resource"]["tenant"] != "acme"):
            assert not engine.allow(case), case


def test_roles_grant_exactly_their_actions(engine):
    for role, actions in DATA["authz"]["tenant_roles"].items():
        for action in ACTIONS:
            case = {
                "subject": subject({"acme": [role]}),
                "tenant": "acme",
                "action": action,
                "resource": {"tenant": "acme"},
            }
            assert engine.allow(case) is (action in actions), (role, action)


def test_the_presentation_guard_answers_all_fields_in_one_query(engine):
    fields = engine.allowed_fields({"tenant": "acme", "legal_basis": "legitimate_interest", "purpose": "audit"})
    assert fields == {"display_name", "state", "cohort"}
    assert engine.allowed_fields({"tenant": "acme", "legal_basis": "none", "purpose": "audit"}) == frozenset()


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
    return json.loads(out)["result"][0]["expressions"][0]["value"]


def test_opa_and_regopy_give_identical_authorization_decisions(engine, tmp_path):
    corpus = decision_corpus()
    by_opa = opa_eval("[d | some c in data.corpus; d := data.portal.authz.allow with input as c]", corpus, tmp_path)
    by_regopy = [engine.allow(case, memo=False) for case in corpus]
    assert len(by_opa) == len(corpus) > 100
    assert by_opa == by_regopy


def test_opa_and_regopy_give_identical_field_decisions(engine, tmp_path):
    corpus = field_corpus()
    by_opa = opa_eval(
        "[sort(f) | some c in data.corpus; f := [x | some x in data.portal.presentation.allowed_fields"
        " with input as c]]",
        corpus,
        tmp_path,
    )
    by_regopy = [sorted(engine.allowed_fields(case)) for case in corpus]
    assert by_opa == by_regopy


def test_memoised_answers_equal_fresh_evaluations(engine):
    for case in decision_corpus():
        assert engine.allow(case) == engine.allow(case, memo=False) == engine.allow(case)
