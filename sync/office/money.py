"""Provides money arithmetic in fen (分, int): yuan text, half-even division and an exact proportional split.

Plans 1 and 2 put fees and pay in yuan; Rollcall keeps every amount as an int of fen and never uses a
float, so a statement adds up to the fen. Where a division cannot be exact (a semester fee refunded
pro rata, a budget shared out), it rounds half to even, and a split hands the fen left over by
rounding to the largest remainders, ties to the earlier share, so the parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence


def yuan(fen: int) -> str:
    """12345 -> "123.45", -5 -> "-0.05": for catalogue parameters and exports."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def div_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest int, a half to the even one (denominator > 0)."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, not {denominator}")
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def share(total: int, weights: Sequence[int]) -> tuple[int, ...]:
    """`total` split in proportion to `weights` (each >= 0, not all 0), every part an int, summing to `total`.

    Each part is first rounded half-even; the fen that rounding gained or lost are then given back one
    at a time, to the parts whose exact value lies furthest above (or below) their rounded one, ties
    to the earlier part. So the split is deterministic, and no part is more than one fen off its exact
    share (exact ± 1).
    """
    whole = sum(weights)
    if whole <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    parts = [div_half_even(total * w, whole) for w in weights]
    # exact - rounded, scaled by `whole` to stay in ints
    error = [total * w - p * whole for w, p in zip(weights, parts, strict=True)]
    left = total - sum(parts)
    step = 1 if left > 0 else -1
    order = sorted(range(len(parts)), key=lambda i: (-step * error[i], i))
    for i in order[: abs(left)]:
        parts[i] += step
    return tuple(parts)
