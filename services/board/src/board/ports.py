"""The Protocols the board's handlers depend on: named and typed."""

from __future__ import annotations

from service_kit.ports import DeadLetter, WritableViews

from board.revenue import Invoice, Payment

Invoices = WritableViews[Invoice]
"""Every invoice issued (ProjectionStore over board_invoices)."""
Payments = WritableViews[Payment]
"""Every payment received (ProjectionStore over board_payments)."""

__all__ = ["DeadLetter", "Invoices", "Payments"]
