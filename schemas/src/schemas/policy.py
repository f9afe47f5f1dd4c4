"""Policy context: published policy bundles, on policy.events.v1."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

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


class TrustedKey(Contract):
    """A public key the tenant's builds are signed with."""

    key_id: str = Field(min_length=1, max_length=200)
    algorithm: Literal["ed25519", "ecdsa-p256"]
    public_key_pem: str = Field(min_length=1, max_length=4096, pattern=r"^-----BEGIN PUBLIC KEY-----")


class TrustedBuilder(Contract):
    """A builder id the tenant trusts; `prefix` accepts any id under it (e.g. a reusable workflow at any tag)."""

    id: str = Field(min_length=1, max_length=500)
    prefix: bool = False
    hardened: bool = Field(default=False, description="The tenant trusts it as an SLSA Build L3 platform.")


class TrustPolicyUpdatedData(Contract):
    """A tenant's whole trust policy (each update replaces the previous one)."""

    policy_id: str
    keys: tuple[TrustedKey, ...] = Field(min_length=1, max_length=50)
    builders: tuple[TrustedBuilder, ...] = Field(min_length=1, max_length=50)
    source_repositories: tuple[str, ...] = Field(min_length=1, max_length=500)
    source_refs: tuple[str, ...] = Field(
        default=(),
        max_length=50,
        description="Source refs the provenance may name, as glob patterns (e.g. refs/tags/v*); none: any ref.",
    )
    updated_by: str
    updated_at: UtcDatetime


class TrustPolicyUpdated(CloudEvent):
    """A tenant registered its trust policy: keys, trusted builders, expected source repositories."""

    TYPE: ClassVar[str] = "io.trustportal.policy.trust-policy-updated.v1"
    type: Literal["io.trustportal.policy.trust-policy-updated.v1"] = "io.trustportal.policy.trust-policy-updated.v1"
    data: TrustPolicyUpdatedData


PolicyFact = Annotated[PolicyBundlePublished | TrustPolicyUpdated, Field(discriminator="type")]
"""Any event on policy.events.v1."""
