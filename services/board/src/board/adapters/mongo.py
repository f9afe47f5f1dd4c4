"""MongoDB for the board: the names of the collections it owns."""

from __future__ import annotations

INVOICES = "board_invoices"
"""Every invoice issued, as issued (key: invoice id); the revenue report's source."""
PAYMENTS = "board_payments"
"""Every payment received, as imported (key: the event id, so a conflicting re-import is kept beside the first)."""
PROBE_HOURS = "board_probe_hours"
"""The prober's results, one document per target and hour (key: `readyz/2026-05-03T14`)."""
FACTS = "board_facts"
"""What the board keeps of the platform's tenant, provenance, evidence and policy events (key: event id)."""
REVENUE = "board_revenue"
"""Each month's revenue report (key: YYYY-MM), made again every BOARD_REVENUE_REFRESH_S; the portal reads it."""
PACKS = "board_packs"
"""Each board pack requested (key: request id): anchoring, built (with its ledger proof) or failed (why)."""
PACK_BUCKET = "board_packs"
"""The GridFS bucket of the PDFs (file id: the PDF's sha256)."""
