import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from portal_api.auth import TokenVerifier
from portal_api.errors import AuthenticationError

KEY = ec.generate_private_key(ec.SECP256R1())
JWKS = json.dumps({"keys": [{**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key())), "kid": "k"}]})


def token(ttl: timedelta, **claims) -> str:
    now = datetime.now(UTC)
    body = {"sub": "ana", "iss": "i", "aud": "a", "iat": now, "exp": now + ttl, **claims}
    return jwt.encode(body, KEY, algorithm="ES256", headers={"kid": "k"})


def test_a_verified_token_is_remembered_until_it_expires_and_then_refused():
    now = [time.time()]
    verifier = TokenVerifier(JWKS, issuer="i", audience="a", clock=lambda: now[0])
    short = token(timedelta(seconds=2))
    assert verifier.user_id(short) == "ana"
    assert len(verifier.verified) == 1 and short.encode() not in repr(verifier.verified).encode()  # kept by hash
    assert verifier.user_id(short) == "ana"
    now[0] += 2.1  # the verifier's clock, not the wall clock: no sleep
    with pytest.raises(AuthenticationError, match="expired"):
        verifier.user_id(short)
    assert not verifier.verified  # forgotten once expired


def test_a_token_with_another_audience_or_a_forged_signature_is_refused():
    verifier = TokenVerifier(JWKS, issuer="i", audience="a")
    with pytest.raises(AuthenticationError):
        verifier.user_id(token(timedelta(minutes=5), aud="other"))
    good = token(timedelta(minutes=5))
    head, body, _ = good.split(".")
    forged = f"{head}.{body}.{token(timedelta(minutes=5), sub='eve').split('.')[2]}"
    with pytest.raises(AuthenticationError):
        verifier.user_id(forged)
