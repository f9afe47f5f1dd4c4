from datetime import UTC, datetime

from portal_api import api_keys

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_a_key_is_shown_once_and_stored_only_as_a_hash():
    record, token = api_keys.generate("acme", "release CI", "engineer", created_by="ana", now=NOW)
    parsed = api_keys.parse(token)
    assert parsed is not None
    key_id, secret = parsed
    assert token.startswith("tpk_") and key_id == record.key_id and record.hint == f"tpk_{key_id}"
    assert secret not in record.model_dump_json() and "secret_sha256" not in record.public()
    assert api_keys.verify(record, secret)


def test_a_wrong_secret_a_missing_key_and_a_revoked_key_are_refused():
    record, token = api_keys.generate("acme", "ci", "viewer", created_by="ana", now=NOW)
    parsed = api_keys.parse(token)
    assert parsed is not None
    _, secret = parsed
    assert not api_keys.verify(record, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert not api_keys.verify(None, secret)
    assert not api_keys.verify(record.model_copy(update={"revoked_at": NOW}), secret)


def test_malformed_tokens_are_not_api_keys():
    for token in ("", "tpk_", "tpk_short_x", "eyJhbGciOi.jwt.token", "tpk_" + "a" * 16 + "_" + "b" * 42):
        assert api_keys.parse(token) is None
