"""The onboarding service on the real Kafka broker and FerretDB."""

from __future__ import annotations

import json
from collections import Counter

from onboarding import projections
from onboarding.app import Onboarding
from onboarding.settings import OnboardingSettings
from pymongo import MongoClient
from service_kit.testing.webhooks import WebhookReceiver

from schemas import topics
from tests.integration.support import cohort, eventually, read_topic, request, tenant

FINAL = {"onboarded", "verification_failed"}


def state(mongo, settings, slug):
    doc = tenant(mongo, settings, slug)
    return doc["state"] if doc else None


async def test_a_five_tenant_cohort_is_onboarded_end_to_end(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    slugs = ["acme", "bluefin", "cobalt", "delta", "ember"]
    for slug in slugs:
        await publish(request(slug, receiver.url(slug), cohort="wave-1", plan="standard"))

    await eventually(lambda: all(state(mongo, settings, s) == "onboarded" for s in slugs), what="5 onboarded")
    await eventually(lambda: cohort(mongo, settings, "wave-1").verified == 5, what="cohort projection")
    view = cohort(mongo, settings, "wave-1")
    assert (view.requested, view.provisioned, view.verified, view.failed, view.failure_rate) == (5, 5, 5, 0, 0.0)
    assert projections.ttfv_quantile(view, 0.5) is not None and projections.ttfv_quantile(view, 0.5) < 5.0
    sample = service.registry.get_sample_value
    assert sample("trustportal_onboarding_verifications_total", {"cohort": "wave-1", "outcome": "verified"}) == 5
    assert sample("trustportal_onboarding_time_to_first_verify_seconds_count") == 5
    # Every ping carried a valid Standard Webhooks signature made with the tenant's own secret.
    assert {d.path.split("/")[-1] for d in receiver.deliveries} == set(slugs)
    assert all(d.signature_ok for d in receiver.deliveries)
    # The secret is sealed at rest.
    doc = tenant(mongo, settings, "acme")
    assert doc["webhook_secret_sealed"] and "whsec_" not in json.dumps(doc, default=str)

    facts = Counter(
        json.loads(r.value)["type"].split(".")[-2] for r in await read_topic(settings, topics.TENANT_EVENTS)
    )
    assert facts == {"provisioned": 5, "webhook-verified": 5, "onboarded": 5}


async def test_a_redelivered_or_duplicated_request_creates_no_duplicate_tenant_or_event(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    original = request("acme", receiver.url("acme"))
    await publish(original)
    await eventually(lambda: state(mongo, settings, "acme") == "onboarded", what="acme onboarded")

    await publish(original)  # the same message again: a redelivery
    await publish(request("acme", receiver.url("acme")))  # the same details under a new id
    await publish(request("other", receiver.url("other")))  # a marker: processed after the repeats
    await eventually(lambda: state(mongo, settings, "other") == "onboarded", what="marker onboarded")

    assert mongo[settings.mongo_db]["onboarding_tenants"].count_documents({}) == 2
    assert receiver.attempts("acme") == 1
    records = await read_topic(settings, topics.TENANT_EVENTS)
    ids = Counter(json.loads(r.value)["id"] for r in records if json.loads(r.value)["tenantid"] == "acme")
    # Re-published facts keep their ids, so every consumer deduplicates them.
    assert len(ids) == 3
    view = cohort(mongo, settings, "it")
    assert view.requested == 2 and view.verified == 2


async def test_a_conflicting_request_is_rejected_naming_the_conflict(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    await publish(request("acme", receiver.url("acme")))
    await eventually(lambda: state(mongo, settings, "acme") == "onboarded", what="acme onboarded")
    await publish(request("acme", receiver.url("acme-evil")))
    records = []

    async def rejected() -> bool:
        records[:] = [json.loads(r.value) for r in await read_topic(settings, topics.TENANT_EVENTS, idle_s=0.3)]
        return any(r["type"].endswith("rejected.v1") for r in records)

    await eventually(rejected, what="TenantRejected")
    (rejection,) = [r for r in records if r["type"].endswith("rejected.v1")]
    assert "already exists" in rejection["data"]["problems"][0]["reason"]
    assert tenant(mongo, settings, "acme")["webhook_url"] == receiver.url("acme")


async def test_a_poison_message_lands_in_the_dlq_and_the_consumer_keeps_going(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    await publish(b"\x00\xffnot json at all")
    await publish(b'{"specversion": "1.0", "type": "io.trustportal.tenant.requested.v1"}')
    await publish(request("after-poison", receiver.url("after-poison")))

    await eventually(lambda: state(mongo, settings, "after-poison") == "onboarded", what="the next message")
    letters = await read_topic(settings, topics.dlq(topics.TENANT_INTAKE))
    assert [r.value for r in letters] == [
        b"\x00\xffnot json at all",
        b'{"specversion": "1.0", "type": "io.trustportal.tenant.requested.v1"}',
    ]
    headers = dict((k, v.decode()) for k, v in letters[1].headers)
    assert headers["x-dlq-error-type"] == "ValidationError"
    assert headers["x-dlq-source-topic"] == settings.topic(topics.TENANT_INTAKE)
    assert headers["x-dlq-consumer-group"] == settings.group_id
    assert "data" in headers["x-dlq-error"]


async def test_a_webhook_that_fails_twice_then_answers_200_is_verified_with_attempts_3(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    await publish(request("flaky", receiver.url("flaky", fail=2)))
    await eventually(lambda: state(mongo, settings, "flaky") == "onboarded", what="flaky onboarded")
    doc = tenant(mongo, settings, "flaky")
    assert doc["attempts"] == 3 and doc["last_status_code"] == 200
    assert [d.status for d in receiver.deliveries] == [503, 503, 200]
    assert len({d.headers["webhook-id"] for d in receiver.deliveries}) == 1


async def test_a_webhook_that_always_fails_ends_verification_failed_after_the_bounded_retries(
    service: Onboarding, settings: OnboardingSettings, receiver: WebhookReceiver, mongo: MongoClient, publish
):
    await publish(request("broken", receiver.url("broken", status=500)))
    await eventually(lambda: state(mongo, settings, "broken") in FINAL, what="broken final")
    doc = tenant(mongo, settings, "broken")
    assert doc["state"] == "verification_failed"
    assert doc["attempts"] == settings.webhook_max_attempts == receiver.attempts("broken")
    assert doc["failure_reason"] == f"HTTP 500 after {settings.webhook_max_attempts} attempts"
    records = [json.loads(r.value) for r in await read_topic(settings, topics.TENANT_EVENTS)]
    failed = [r for r in records if r["type"].endswith("webhook-verification-failed.v1")]
    assert len(failed) == 1 and failed[0]["data"]["attempts"] == settings.webhook_max_attempts
