"""One repository, one spelling: the SLSA map keys rows and counts adoption by the canonical name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from schemas.provenance import canonical_repo
from schemas.read_models import SlsaAdoption, SlsaRepoStatus
from slsa_watch.domain import decide, policy_of
from slsa_watch.samples import Signer

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SPELLINGS = (
    "github.com/acme/robot",
    "https://github.com/acme/robot",
    "https://GitHub.com/Acme/Robot.git",
    "git+https://github.com/acme/robot/",
    "git@github.com:acme/robot.git",
    "http://github.com/ACME/robot/",
)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_usual_spelling_of_a_repository_is_one_name(spelling):
    assert canonical_repo(spelling) == "github.com/acme/robot"


@pytest.mark.parametrize(
    "bad",
    ["github.com/acme", "acme/robot", "github.com/acme/robot@refs/tags/v1", "github.com:22/acme/robot",
     "github.com/acme/../robot", "https://token@github.com/acme/robot", "github.com/acme/robot?x", ""],
)  # fmt: skip
def test_what_is_not_a_repository_address_is_refused_naming_why(bad):
    with pytest.raises(ValueError, match="repository|host/owner/name"):
        canonical_repo(bad)


def test_one_repository_submitted_under_many_spellings_is_one_row_and_counts_once():
    acme = Signer("acme")
    policy = policy_of(acme.policy(["github.com/acme/robot"], NOW))
    rows: dict[str, SlsaRepoStatus] = {}
    for i, spelling in enumerate(SPELLINGS):
        envelope = acme.envelope("github.com/acme/robot", "robot.tar")
        at = NOW + timedelta(minutes=i)
        verdict = decide(acme.submission(spelling, "robot.tar", envelope, at), policy, at)
        key = SlsaRepoStatus.key_of(verdict)
        folded = SlsaRepoStatus.folded(rows.get(key), verdict)
        if folded is not None:
            rows[key] = folded
    assert list(rows) == ["acme/github.com/acme/robot"]
    assert rows["acme/github.com/acme/robot"].repo == "github.com/acme/robot"
    # the same repository as two rows (e.g. written before canonical names) still counts once
    twin = rows["acme/github.com/acme/robot"].model_copy(update={"repo": "https://github.com/acme/robot.git"})
    adoption = SlsaAdoption.of([*rows.values(), twin], target_l3=8)
    assert rows["acme/github.com/acme/robot"].at_l3
    assert adoption.repos == 1 and adoption.at_l3 == 1
