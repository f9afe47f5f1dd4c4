"""Onboarding service: partner cohorts, signed webhook verification, cohort metrics."""
