"""In-process Rego: the authorization policy and the presentation guard, built once, queried per request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from regopy import Input, Interpreter
from schemas.envelope import derived_id
from schemas.policy import PolicyBundlePublished, PolicyBundlePublishedData
from schemas.tenant import PLATFORM_TENANT

from portal_api.authorization import Access, Subject, Verdict, granted, policy_input

POLICY_DIR = Path(__file__).resolve().parent / "policies"  # package data: ships in the wheel
ALLOW = "data.portal.authz.allow"
DECISION = "data.portal.decision.result"


class PolicyError(RuntimeError):
    """The policy could not be evaluated; the message carries the engine's own words."""


@dataclass(frozen=True)
class PolicyBundle:
    """The Rego modules and data of one policy version, and the sha256 that identifies it."""

    modules: tuple[tuple[str, str], ...]
    data: str
    sha256: str

    @classmethod
    def load(cls, directory: Path = POLICY_DIR) -> PolicyBundle:
        """Read every non-test .rego module and data.json; hash names and contents in sorted order."""
        modules = tuple(
            (path.name, path.read_text())
            for path in sorted(directory.glob("*.rego"))
            if not path.name.endswith("_test.rego")
        )
        data = (directory / "data.json").read_text()
        digest = hashlib.sha256()
        for name, text in (*modules, ("data.json", data)):
            digest.update(f"{name}\0{len(text.encode())}\0".encode())
            digest.update(text.encode())
        return cls(modules=modules, data=data, sha256=digest.hexdigest())


class PolicyEngine:
    """Answers `allow` and the whole `decision` with rego-cpp, each query compiled once at start-up.

    The policies are pure functions of their input and the bundle's data (no time, network or
    randomness built-ins), and a bundle never changes inside an engine, so answers are memoised
    per canonical input (bounded); a new bundle means a new engine and an empty memo.
    """

    MEMO_SIZE = 65_536

    def __init__(self, bundle: PolicyBundle) -> None:
        self.bundle = bundle
        self._memo: dict[tuple[str, str], Any] = {}
        self._interpreter = Interpreter()
        for name, text in bundle.modules:
            self._interpreter.add_module(name, text)
        self._interpreter.add_data_json(bundle.data)
        self._allow = self._interpreter.build(ALLOW)
        self._decision = self._interpreter.build(DECISION)

    def _query(self, bundle: Any, query: str, document: Mapping[str, Any], memo: bool = True) -> Any:
        if not memo:
            return self.evaluate(bundle, query, document)
        key = (query, json.dumps(document, sort_keys=True, separators=(",", ":")))
        if key in self._memo:
            return self._memo[key]
        if len(self._memo) >= self.MEMO_SIZE:
            self._memo.clear()
        answer = self._memo[key] = self.evaluate(bundle, query, document)
        return answer

    def evaluate(self, bundle: Any, query: str, document: Mapping[str, Any]) -> Any:
        """Run a compiled query on rego-cpp (no memo)."""
        self._interpreter.set_input(Input(dict(document)))
        output = self._interpreter.query_bundle(bundle)
        text = str(output)
        if text == "undefined":
            return None
        try:
            result = json.loads(text)
        except ValueError:
            raise PolicyError(f"{query} failed: {text.strip()}") from None
        expressions = result.get("expressions") if isinstance(result, dict) else None
        if not expressions:
            raise PolicyError(f"{query} returned no result: {text.strip()}")
        return expressions[0]

    def published(self, now: datetime) -> PolicyBundlePublished:
        """The fact that this bundle is in force; its id comes from the hash, so restarts repeat it."""
        return PolicyBundlePublished.create(
            data=PolicyBundlePublishedData(
                bundle="portal",
                version=self.bundle.sha256[:12],
                sha256=self.bundle.sha256,
                modules=tuple(name for name, _ in self.bundle.modules),
                published_at=now,
            ),
            id=derived_id(self.bundle.sha256, PolicyBundlePublished.TYPE),
            source="/services/portal-api",
            tenantid=PLATFORM_TENANT,
            subject="portal",
            time=now,
        )

    @property
    def sha256(self) -> str:
        """The bundle's hash, named in every decision it makes."""
        return self.bundle.sha256

    async def verdict(self, document: Mapping[str, Any]) -> Verdict:
        """The whole decision (the gate's Policy port; in process, so nothing is awaited)."""
        return self.decision(document)

    def allow(self, document: Mapping[str, Any], *, memo: bool = True) -> bool:
        """Whether the subject may take the action (undefined counts as no)."""
        return self._query(self._allow, ALLOW, document, memo) is True

    def decision(self, document: Mapping[str, Any], *, memo: bool = True) -> Verdict:
        """Allowed or not, the legal basis and purpose, and every field of the view shown or withheld: one query.

        The input is allow's: subject, tenant, action and resource (with the tenant that owns it).
        """
        answer = self._query(self._decision, DECISION, document, memo)
        if not isinstance(answer, dict):
            raise PolicyError(f"{DECISION} returned {answer!r}")
        return Verdict.of(answer)


def decide(
    engine: PolicyEngine,
    subject: Subject,
    *,
    tenant: str,
    action: str,
    resource: str,
    now: datetime,
    owner: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Access:
    """Decide a request with the in-process engine and build its AccessDecided fact."""
    verdict = engine.decision(policy_input(subject, tenant=tenant, action=action, owner=owner, attributes=attributes))
    return granted(verdict, subject, tenant=tenant, action=action, resource=resource, now=now, bundle=engine.sha256)
