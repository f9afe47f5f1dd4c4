"""Money for people: integer minor units shown in their currency (CLDR via babel), one currency at a time."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def shown(amount_minor: int, currency: str) -> str:
    """`199000, "EUR"` -> `€1,990.00`; the same text on every machine (locale fixed to en)."""
    major = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
    return str(format_currency(major, currency, locale="en"))
