"""The development identity provider: an ES256 key that signs tokens for seeded users (dev mode only)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from portal_api.members import Member

TOKEN_TTL = timedelta(hours=8)


class DevIssuer:
    """Signs tokens for seeded users; its public key joins the JWKS the portal trusts."""

    KID = "dev-issuer"

    def __init__(self, issuer: str, audience: str, pem: str | None = None) -> None:
        key = load_pem_private_key(pem.encode(), password=None) if pem else ec.generate_private_key(ec.SECP256R1())
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the dev signing key must be an EC P-256 private key (PEM)")
        self.key = key
        self.issuer = issuer
        self.audience = audience

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK."""
        jwk: dict[str, str] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        return {**jwk, "kid": self.KID, "use": "sig", "alg": "ES256"}

    def token(self, user: Member, now: datetime) -> str:
        """A signed access token for `user`."""
        claims = {
            "sub": user.id,
            "name": user.name,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + TOKEN_TTL,
        }
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.KID})


def merged_jwks(configured: str, extra: dict[str, str] | None) -> str:
    """The configured JWKS plus the dev issuer's key, as JSON."""
    keys = list(json.loads(configured)["keys"]) if configured else []
    if extra:
        keys.append(extra)
    return json.dumps({"keys": keys}) if keys else ""
