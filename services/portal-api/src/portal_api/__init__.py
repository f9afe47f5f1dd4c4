"""Trust Portal v3: the multi-tenant API and web UI."""
