"""One repository, one spelling: every usual way of writing a repository address is one canonical name."""

from __future__ import annotations

import pytest
from schemas.provenance import canonical_repo

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
