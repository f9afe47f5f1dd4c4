"""The board pack's charts as SVG (matplotlib): deterministic bytes, labels kept as text.

The same figures give the same bytes: a fixed hash salt for the SVG ids, no date in the metadata,
the Agg-free SVG backend, and fonts named (not drawn as paths) so the PDF's text layer carries them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("svg")

import matplotlib.pyplot as plt
from babel.numbers import get_currency_precision
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from board.pack import BoardPack

INK, MUTED, ACCENT, GOOD, BAD, GRID = "#1f2937", "#6b7280", "#1d4ed8", "#047857", "#b91c1c", "#e5e7eb"
STYLE: dict[Any, Any] = {
    "svg.hashsalt": "trust-portal-board",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
}


@contextmanager
def figure(width: float = 6.4, height: float = 2.1) -> Iterator[Figure]:
    """A figure in the pack's style, closed after use."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height))
        try:
            yield fig
        finally:
            plt.close(fig)


def svg(fig: Figure) -> bytes:
    """The figure as SVG bytes with no date."""
    out = io.BytesIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()


def major(amount_minor: int, currency: str) -> float:
    """Minor units as major units of the currency (for an axis)."""
    return float(Decimal(amount_minor).scaleb(-get_currency_precision(currency)))


def mrr_chart(pack: BoardPack) -> bytes:
    """MRR by month, one line per currency."""
    with figure() as fig:
        ax = fig.add_subplot()
        months = [m.month for m in pack.mrr_history]
        currencies = sorted({c for m in pack.mrr_history for c in m.mrr_minor})
        for n, currency in enumerate(currencies):
            values = [major(m.mrr_minor.get(currency, 0), currency) for m in pack.mrr_history]
            ax.plot(months, values, marker="o", markersize=3, color=[ACCENT, GOOD, MUTED][n % 3], label=currency)
        if not currencies:
            ax.text(0.5, 0.5, "no invoices on record", transform=ax.transAxes, ha="center", color=MUTED)
        ax.set_ylabel(f"MRR ({', '.join(currencies)})" if currencies else "MRR")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.tick_params(axis="x", labelrotation=45)
        if currencies:
            ax.legend(frameon=False, loc="upper left")
        return svg(fig)


def availability_chart(pack: BoardPack) -> bytes:
    """Each day's availability against the objective, and the error budget burned so far."""
    with figure() as fig:
        ax = fig.add_subplot()
        labels = [f"{d.day:%d %b}" for d in pack.days]
        shares = [100 * d.good / (d.good + d.bad) if d.good + d.bad else None for d in pack.days]
        colours = [GOOD if s is not None and s >= 100 * pack.sla.objective else BAD for s in shares]
        ax.bar(labels, [s if s is not None else 0 for s in shares], color=colours, width=0.7)
        ax.axhline(100 * pack.sla.objective, color=INK, linewidth=0.8, linestyle="--", label="objective")
        ax.set_ylim(99.0, 100.05)
        ax.set_ylabel("availability %")
        step = 7 if len(labels) > 14 else 1
        ax.set_xticks(range(0, len(labels), step), labels[::step])
        burn = ax.twinx()
        spent, cumulative = 0, []
        for d in pack.days:
            spent += d.bad
            cumulative.append(100 * spent / pack.sla.budget_minutes if pack.sla.budget_minutes else 0)
        burn.plot(range(len(labels)), cumulative, color=ACCENT, linewidth=1.2, label="budget burned")
        burn.set_ylabel("error budget burned %")
        burn.set_ylim(0, max(100, *cumulative) if cumulative else 100)
        burn.grid(False)
        return svg(fig)


def slsa_chart(pack: BoardPack) -> bytes:
    """Repositories by SLSA Build level, with the L3 target."""
    with figure(3.1, 2.4) as fig:
        ax = fig.add_subplot()
        counts = [sum(1 for r in pack.repos if r.build_level == level) for level in (1, 2, 3)]
        ax.bar(["L1", "L2", "L3"], counts, color=[MUTED, MUTED, ACCENT], width=0.6)
        ax.axhline(pack.headline.l3_target, color=INK, linewidth=0.8, linestyle="--")
        ax.text(2.35, pack.headline.l3_target, f"target {pack.headline.l3_target}", va="bottom", ha="right",
                color=INK, fontsize=8)  # fmt: skip
        ax.set_ylabel("repositories")
        return svg(fig)


def funnel_chart(pack: BoardPack) -> bytes:
    """The window's partners: provisioned, onboarded, rejected."""
    with figure(3.1, 2.4) as fig:
        ax = fig.add_subplot()
        stages = ["provisioned", "onboarded", "rejected"]
        values = [pack.funnel[s] for s in stages]
        ax.barh(stages[::-1], values[::-1], color=[BAD, GOOD, ACCENT], height=0.6)
        ax.set_xlim(0, max(1, *values) * 1.15)
        if not any(values):
            ax.text(0.5, 0.5, "no partner joined or was refused in the period", transform=ax.transAxes,
                    ha="center", color=MUTED, fontsize=8)  # fmt: skip
        for y, v in enumerate(values[::-1]):
            ax.text(v, y, f" {v}", va="center", color=INK, fontsize=8)
        ax.set_xlabel("partners in the period")
        return svg(fig)


def charts(pack: BoardPack) -> dict[str, bytes]:
    """Every chart of the pack by file name."""
    return {
        "mrr.svg": mrr_chart(pack),
        "availability.svg": availability_chart(pack),
        "slsa.svg": slsa_chart(pack),
        "funnel.svg": funnel_chart(pack),
    }
