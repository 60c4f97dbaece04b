"""Exact numbers: every threshold is compared on fractions, never on rounded or binary-float percentages.

A diameter typed as 12.3 is the decimal 12.3, not the nearest binary float, so values enter through their
shortest decimal text (`Fraction(str(x))`). With that, "exactly 30% smaller" is exactly 30% smaller, and the
tie cases the criteria are defined on (30.0%, 20.0%, 5.0 mm, 10%, 15%) fall on the side the rules say.
"""

from __future__ import annotations

from fractions import Fraction


def to_fraction(value: int | float | str | Fraction) -> Fraction:
    """The exact decimal a reader typed. Floats go through their shortest repr, so 0.1 is 1/10 exactly."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float) and value.is_integer():
        return Fraction(int(value))
    text = repr(value) if isinstance(value, float) else value
    whole, dot, frac = text.partition(".")
    if dot and "e" not in frac.lower() and whole.lstrip("-").isdigit() and frac.isdigit():
        # The common case, a plain decimal: integer arithmetic instead of Fraction's string parser.
        digits = int(whole + frac)
        return Fraction(digits, 10 ** len(frac))
    return Fraction(text)


def round_toward_zero(value: Fraction, places: int = 1) -> float:
    """Round for display toward zero.

    Toward zero, not half-up: the thresholds (30%, 20%, 10%, 15%) sit on one decimal, so a value that misses
    one (29.96% shrinkage) is shown as 29.9% and never as a misleading 30.0%.
    """
    scale = 10**places
    numerator, denominator = value.numerator, value.denominator
    truncated = (abs(numerator) * scale) // denominator
    if numerator < 0:
        truncated = -truncated
    result: float = truncated / scale  # int / int is correctly rounded to the nearest float
    return result


def _decimal_digits(value: Fraction) -> tuple[int, int] | None:
    """(digits, k) with value == digits / 10**k when the value is a decimal of at most 8 places."""
    denominator = value.denominator
    power = 1
    for k in range(9):
        if power % denominator == 0:
            return value.numerator * (power // denominator), k
        power *= 10
    return None


def show(value: Fraction, places: int = 1) -> str:
    """A number as text with at least `places` decimals, and all of them when the value needs more.

    Measurements typed by a reader are shown as typed (12.25 mm stays 12.25). Values with more than 4 decimals
    (computed measurements, pooled means) are cut toward zero at 4 decimals, for reading only: the decisions
    were taken on the exact values.
    """
    exact = _decimal_digits(value)
    if exact is not None and exact[1] <= 4:
        digits, k = exact
    else:
        digits = (abs(value.numerator) * 10**4) // value.denominator
        digits = -digits if value < 0 else digits
        k = 4
    sign = "-" if digits < 0 else ""
    text = str(abs(digits)).rjust(k + 1, "0")
    whole, frac = text[: len(text) - k], text[len(text) - k :].rstrip("0")
    if not frac.strip("0") and whole == "0":
        sign = ""
    return f"{sign}{whole}.{frac.ljust(places, '0')}" if places > 0 else f"{sign}{whole}"
