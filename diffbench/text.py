"""Numbers and tables as the report and the figures print them."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["fmt_number", "fmt_time", "fmt_count", "markdown_table"]


def fmt_number(v: Any, digits: int = 1) -> str:
    """An error or a step: ``0`` for an exact zero, ``-`` for missing, else short scientific.

    Examples
    --------
    >>> fmt_number(1.25e-7), fmt_number(0.0), fmt_number(float("nan")), fmt_number(3e12, 0)
    ('1.2e-7', '0', '-', '3e+12')
    """
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "-"
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}e}".replace("e-0", "e-").replace("e+0", "e+")


def fmt_time(v: Any) -> str:
    """Seconds in the largest unit that keeps the number at least 1 (``-`` for missing).

    Examples
    --------
    >>> fmt_time(0.00123), fmt_time(2.5), fmt_time(4e-8), fmt_time(None)
    ('1.23 ms', '2.5 s', '40 ns', '-')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    v = float(v)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if v >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v / 1e-9:.3g} ns"


def fmt_count(v: float, spec: str = ".3g") -> str:
    """A count or a ratio of counts, ``-`` for NaN.

    Examples
    --------
    >>> fmt_count(2.5), fmt_count(float("nan")), fmt_count(61.0, ".0f")
    ('2.5', '-', '61')
    """
    return "-" if math.isnan(v) else format(v, spec)


def markdown_table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A Markdown table; ``align`` holds one ``---`` / ``--:`` per column (default left).

    Examples
    --------
    >>> print(markdown_table(["a", "b"], [["1", "2"]], ["---", "--:"]))
    | a | b |
    |---|--:|
    | 1 | 2 |
    """
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
