"""Authentication of users: bearer JWTs verified against the configured JWKS.

A token proves who the user is; what they may do comes from the portal's membership (members.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import jwt

from portal_api.errors import AuthenticationError


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header."""
    if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise AuthenticationError("a bearer token is required")
    return authorization[7:].strip()


class TokenVerifier:
    """Verifies RS256/ES256/EdDSA tokens against a JWKS, issuer, audience and expiry."""

    ALGORITHMS = ("ES256", "RS256", "EdDSA")
    CACHE_SIZE = 10_000

    def __init__(self, jwks_json: str, *, issuer: str, audience: str, clock: Callable[[], float] = time.time) -> None:
        self.keys = jwt.PyJWKSet.from_json(jwks_json) if jwks_json else None
        self.issuer = issuer
        self.audience = audience
        self.clock = clock  # seconds since the epoch, like a token's exp (a fake clock in tests)
        self.verified: dict[bytes, tuple[str, float]] = {}

    def user_id(self, token: str) -> str:
        """The verified subject (`sub`) of a bearer token.

        A token verified once is remembered (by its sha256) until it expires, so a client's next
        requests skip the signature check; its expiry is still checked on every use.
        """
        digest = hashlib.sha256(token.encode()).digest()
        hit = self.verified.get(digest)
        if hit is not None:
            if self.clock() < hit[1]:
                return hit[0]
            del self.verified[digest]
        sub, exp = self.verify(token)
        if len(self.verified) >= self.CACHE_SIZE:
            self.verified.clear()
        self.verified[digest] = (sub, exp)
        return sub

    def verify(self, token: str) -> tuple[str, float]:
        """Check the token's signature, issuer, audience and times; return its subject and expiry."""
        if self.keys is None:
            raise AuthenticationError("no JWKS is configured")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self.keys.keys if k.key_id == kid), None)
            if key is None:
                raise AuthenticationError("the token's key is not in the JWKS")
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=list(self.ALGORITHMS),
                issuer=self.issuer,
                audience=self.audience,
                # exp and nbf are checked below against this verifier's clock, not PyJWT's own
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {exc}") from None
        now = self.clock()
        if float(claims["exp"]) <= now:
            raise AuthenticationError("invalid token: Signature has expired")
        if float(claims.get("nbf", now)) > now:
            raise AuthenticationError("invalid token: The token is not yet valid (nbf)")
        return str(claims["sub"]), float(claims["exp"])
