"""trust-portal: the partner CLI of Trust Portal (submit provenance, report runner events, wait for verdicts)."""
