"""Per-tenant webhook secrets: generated per Standard Webhooks, sealed at rest with Fernet."""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr


class SecretBox:
    """Generates webhook secrets and seals / opens them with the service's key."""

    def __init__(self, key: SecretStr) -> None:
        try:
            self._fernet = Fernet(key.get_secret_value().encode())
        except ValueError:
            raise ValueError("the secrets key must be a Fernet key (32 url-safe base64-encoded bytes)") from None

    @staticmethod
    def generate() -> str:
        """A new secret in the Standard Webhooks form: whsec_ + base64 of 32 random bytes."""
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()

    def seal(self, secret: str) -> str:
        """Encrypt a secret for storage."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """Decrypt a stored secret; a wrong key is a configuration error."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored webhook secret cannot be decrypted with the configured key") from None
