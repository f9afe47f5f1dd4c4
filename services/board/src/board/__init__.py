"""Board: payments, revenue ETL, SLA from probes and the board pack (see app.py for the wiring)."""
