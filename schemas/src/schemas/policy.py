"""Policy context: published policy bundles, on policy.events.v1."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from schemas.envelope import CloudEvent, Contract, UtcDatetime


class PolicyBundlePublishedData(Contract):
    """A version of the portal's Rego bundle, identified by the sha256 of its modules and data."""

    bundle: str = Field(description="Bundle name, e.g. portal.")
    version: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    modules: tuple[str, ...]
    published_at: UtcDatetime


class PolicyBundlePublished(CloudEvent):
    """A policy bundle came into force."""

    TYPE: ClassVar[str] = "io.trustportal.policy.bundle-published.v1"
    type: Literal["io.trustportal.policy.bundle-published.v1"] = "io.trustportal.policy.bundle-published.v1"
    data: PolicyBundlePublishedData
