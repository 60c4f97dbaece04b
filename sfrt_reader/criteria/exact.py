"""Exact numbers: every threshold is compared on fractions, never on rounded or binary-float percentages.

A diameter typed as 12.3 is the decimal 12.3, not the nearest binary float, so values enter through their
shortest decimal text (`Fraction(str(x))`). With that, "exactly 30% smaller" is exactly 30% smaller, and the
tie cases the criteria are defined on (30.0%, 20.0%, 5.0 mm, 10%, 15%) fall on the side the rules say.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction


def to_fraction(value: int | float | str | Fraction) -> Fraction:
    """The exact decimal a reader typed. Floats go through their shortest repr, so 0.1 is 1/10 exactly."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(str(value))


def percent_change(value: Fraction, reference: Fraction) -> Fraction | None:
    """Exact percentage change from `reference` to `value`; None when the reference is zero (undefined)."""
    if reference == 0:
        return None
    return (value - reference) * 100 / reference


def round_toward_zero(value: Fraction, places: int = 1) -> float:
    """Round for display toward zero.

    Toward zero, not half-up: the thresholds (30%, 20%, 10%, 15%) sit on one decimal, so a value that misses
    one (29.96% shrinkage) is shown as 29.9% and never as a misleading 30.0%.
    """
    scale = Fraction(10) ** places
    scaled = value * scale
    truncated = scaled.numerator // scaled.denominator if scaled >= 0 else -((-scaled.numerator) // scaled.denominator)
    return float(Fraction(truncated) / scale)


def show(value: Fraction, places: int = 1) -> str:
    """A number as text with at least `places` decimals, and all of them when the value needs more.

    Measurements are decimals as typed (12.25 mm stays 12.25), so no figure in a reason is silently rounded.
    Non-terminating values (pooled means, percentages) are cut toward zero at 4 decimals.
    """
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(decimal.quantize(Decimal(1).scaleb(-4), rounding=ROUND_DOWN).normalize(), "f")
    whole, _, frac = text.partition(".")
    if whole in {"-0", ""} and not frac.strip("0"):
        whole = "0"
    return f"{whole}.{frac.ljust(places, '0')}" if places > 0 else whole


def show_pct(value: Fraction) -> str:
    """A percentage for reasons: one decimal, toward zero (see `round_toward_zero`)."""
    return f"{abs(round_toward_zero(value)):.1f}%"
