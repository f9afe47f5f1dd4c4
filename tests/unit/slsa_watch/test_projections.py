"""The SLSA map's fold: one row per repository however spelled, the newest verdict wins, adoption counts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.read_models import SlsaRepoStatus
from service_kit.testing.provenance import Signer
from slsa_watch import projections
from slsa_watch.domain import decide, policy_of

from tests.unit.schemas.test_repositories import SPELLINGS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_one_repository_submitted_under_many_spellings_is_one_row_and_counts_once():
    acme = Signer("acme")
    policy = policy_of(acme.policy(["github.com/acme/robot"], NOW))
    rows: dict[str, SlsaRepoStatus] = {}
    for i, spelling in enumerate(SPELLINGS):
        envelope = acme.envelope("github.com/acme/robot", "robot.tar")
        at = NOW + timedelta(minutes=i)
        verdict = decide(acme.submission(spelling, "robot.tar", envelope, at), policy, at)
        key = projections.row_key(verdict)
        folded = projections.repo_status(rows.get(key), verdict)
        if folded is not None:
            rows[key] = folded
    assert list(rows) == ["acme/github.com/acme/robot"]
    assert rows["acme/github.com/acme/robot"].repo == "github.com/acme/robot"
    # the same repository as two rows (e.g. written before canonical names) still counts once
    twin = rows["acme/github.com/acme/robot"].model_copy(update={"repo": "https://github.com/acme/robot.git"})
    adoption = projections.adoption([*rows.values(), twin], target_l3=8)
    assert rows["acme/github.com/acme/robot"].at_l3
    assert adoption.repos == 1 and adoption.at_l3 == 1


def test_a_rejection_keeps_what_the_repository_last_proved_and_an_older_verdict_changes_nothing():
    acme = Signer("acme")
    policy = policy_of(acme.policy(["github.com/acme/robot"], NOW))
    good = decide(
        acme.submission("github.com/acme/robot", "robot.tar", acme.envelope("github.com/acme/robot", "robot.tar"), NOW),
        policy,
        NOW,
    )
    later = NOW + timedelta(minutes=5)
    bad = decide(
        acme.submission(
            "github.com/acme/robot", "robot.tar", acme.envelope("github.com/other/repo", "robot.tar"), later
        ),
        policy,
        later,
    )
    row = projections.repo_status(None, good)
    assert row is not None and row.at_l3
    after = projections.repo_status(row, bad)
    assert after is not None and after.last_outcome == "rejected" and after.build_level == row.build_level
    assert after.last_reasons and not after.at_l3
    assert projections.repo_status(after, good) is None  # older than the row: nothing changes
