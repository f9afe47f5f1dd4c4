from datetime import UTC, datetime, timedelta

from onboarding.adapters.secrets import SecretBox
from onboarding.verification import Attempt, RetrySchedule, parse_retry_after, signed_ping, verify_webhook
from standardwebhooks import Webhook

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SECRET = SecretBox.generate()


class RecordingSender:
    """Answers with the scripted attempts in turn and records what was sent."""

    def __init__(self, *answers: Attempt) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def __call__(self, url, body, headers):
        self.sent.append((url, body, headers))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class RecordingSleep:
    def __init__(self):
        self.delays: list[float] = []

    async def __call__(self, seconds):
        self.delays.append(seconds)


async def run(sender, schedule=RetrySchedule(max_attempts=5, backoff_s=0.5), rand=lambda: 0.5):
    sleep = RecordingSleep()
    outcome = await verify_webhook(
        "https://hooks.example/h",
        slug="acme",
        secret=SECRET,
        msg_id="msg_1",
        send=sender,
        schedule=schedule,
        sleep=sleep,
        clock=lambda: NOW,
        rand=rand,
    )
    return outcome, sleep.delays


async def test_a_webhook_that_fails_twice_then_answers_200_is_verified_on_attempt_3():
    sender = RecordingSender(Attempt(503), Attempt(error="connection failed"), Attempt(200, latency_ms=4.0))
    outcome, delays = await run(sender)
    assert outcome.ok and outcome.attempts == 3 and outcome.status_code == 200
    assert len(delays) == 2 and delays[1] > delays[0]  # exponential
    assert {h["webhook-id"] for _, _, h in sender.sent} == {"msg_1"}  # same id on every retry


async def test_a_webhook_that_always_fails_gives_up_after_the_bounded_attempts():
    outcome, delays = await run(RecordingSender(Attempt(500)))
    assert not outcome.ok and outcome.attempts == 5
    assert outcome.reason == "HTTP 500 after 5 attempts"
    assert len(delays) == 4


async def test_backoff_is_capped_and_jittered():
    schedule = RetrySchedule(max_attempts=8, backoff_s=1.0, backoff_max_s=4.0)
    _, low = await run(RecordingSender(Attempt(500)), schedule, rand=lambda: 0.0)
    _, high = await run(RecordingSender(Attempt(500)), schedule, rand=lambda: 1.0)
    assert low == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert high == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]


async def test_retry_after_is_honoured_up_to_its_cap():
    schedule = RetrySchedule(max_attempts=3, retry_after_max_s=10)
    _, delays = await run(
        RecordingSender(Attempt(429, retry_after="7"), Attempt(503, retry_after="3600"), Attempt(200)), schedule
    )
    assert delays == [7.0, 10.0]


def test_retry_after_accepts_an_http_date():
    later = (NOW + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now=NOW) == 30.0
    assert parse_retry_after("soon", now=NOW) is None


async def test_a_refused_url_is_not_retried():
    outcome, delays = await run(RecordingSender(Attempt(refused="hooks.example resolves to 10.0.0.1")))
    assert not outcome.ok and outcome.attempts == 0 and delays == []
    assert "10.0.0.1" in outcome.reason


async def test_a_gone_endpoint_is_not_retried():
    outcome, delays = await run(RecordingSender(Attempt(410)))
    assert outcome.attempts == 1 and delays == []


def test_the_ping_verifies_with_the_standard_webhooks_library():
    body, headers = signed_ping("acme", "msg_1", SECRET, now=datetime.now(UTC))
    assert Webhook(SECRET).verify(body, headers)["data"] == {"tenant": "acme"}
    assert headers["webhook-signature"].startswith("v1,")


def test_sealed_secrets_open_only_with_the_right_key():
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    box = SecretBox(SecretStr(Fernet.generate_key().decode()))
    sealed = box.seal(SECRET)
    assert SECRET not in sealed and box.open(sealed) == SECRET
    other = SecretBox(SecretStr(Fernet.generate_key().decode()))
    try:
        other.open(sealed)
    except ValueError as exc:
        assert "cannot be decrypted" in str(exc)
    else:
        raise AssertionError("a wrong key must not open a secret")
