"""env_for: a child process reads back exactly the settings it was given."""

from __future__ import annotations

from onboarding.settings import OnboardingSettings
from service_kit.testing.launcher import env_for
from slsa_watch.settings import SlsaWatchSettings


def test_settings_round_trip_through_the_environment(monkeypatch):
    given = SlsaWatchSettings(runner_pools={"hermetic-linux": 3, "arm": 1}, topic_prefix="t.", log_json=False)
    for name, value in env_for(given).items():
        monkeypatch.setenv(name, value)
    assert SlsaWatchSettings() == given
    onboarding = OnboardingSettings(webhook_allow_hosts=frozenset({"127.0.0.1", "localhost"}))
    for name, value in env_for(onboarding).items():
        monkeypatch.setenv(name, value)
    assert OnboardingSettings().webhook_allow_hosts == onboarding.webhook_allow_hosts
