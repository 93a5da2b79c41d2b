"""How close a written number must be to count: the exercise's precision, as teachers say it.

    4dp          four decimal places: within 0.5·10⁻⁴
    3sf          three significant figures: within half a unit of the third, 0.5·10^(e−2)
                 for a value of magnitude 10^e
    3sf or 4dp   the coarser of the two for each value (the default)
    rtol/atol    within atol + rtol·|value| (the command line's --rtol/--atol)

With decimal places or significant figures, a number must also agree with its target to
the digits it is written with (half a unit of its last decimal): 0.597 for 0.59688 is
right at the default precision, 0.5970 is not (its fourth decimal is off), and no way of
writing a number (0, 1e3, 7) widens the exercise's tolerance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SPEC = re.compile(r"\s*(\d+)\s*(dp|sf)\s*", re.I)


@dataclass(frozen=True)
class Precision:
    dp: int | None = None  # decimal places
    sf: int | None = None  # significant figures
    rtol: float | None = None
    atol: float | None = None

    @property
    def digits(self) -> bool:
        """Set in digits (dp, sf), so a number's own written digits bound it too."""
        return self.rtol is None and self.atol is None

    def tolerance(self, value):
        """The distance from `value` still counted right (any shape; nan where value is
        not finite: no number is right for an infinite one)."""
        value = np.abs(np.asarray(value, dtype=np.float64))
        value = np.where(np.isfinite(value), value, np.nan)  # nothing is close to inf
        if not self.digits:
            return (self.atol or 0.0) + (self.rtol or 0.0) * value
        tol = np.zeros(value.shape)
        if self.dp is not None:
            tol = tol + 0.5 * 10.0 ** -self.dp
        if self.sf is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                exponent = np.floor(np.log10(value))  # -inf at 0: a zero is worked exactly
            # clipped to ±400 (fmax/fmin take nan there as -400: it is nan below)
            exponent = np.fmin(np.fmax(exponent - (self.sf - 1), -400.0), 400.0)
            tol = np.maximum(tol, _HALF_POWERS[(exponent + 400.0).astype(np.intp)])
        return np.where(np.isnan(value), np.nan, tol)

    def written(self, value, decimals, half=None):
        """min(tolerance(value), written_half(decimals)): how close a number written with
        `decimals` decimals must be to `value` (nan where value is not finite). The
        exercise's tolerance, at least half a unit of its dp-th decimal, is looked up only
        where the written digits are coarser than that (a class's answers mostly are not).
        half: written_half(decimals), where the caller has it already."""
        half = written_half(decimals) if half is None else half
        value = np.asarray(value, dtype=np.float64)
        shape = np.broadcast_shapes(value.shape, half.shape)
        half = np.broadcast_to(half, shape)
        out = np.where(np.isfinite(value), half, np.nan)
        coarse = half > (0.5 * 10.0 ** -self.dp if self.dp is not None else 0.0)
        if coarse.any():
            out[coarse] = np.minimum(self.tolerance(np.broadcast_to(value, shape)[coarse]),
                                     half[coarse])
        return out

    def words(self) -> str:
        """As a sheet tells a student: '3 significant figures or 4 decimal places (the
        coarser for each number)'."""
        if not self.digits:
            return f"within {self.atol or 0:g} + {self.rtol or 0:g}·|value|"
        parts = [f"{self.sf} significant figure{'s' * (self.sf != 1)}"
                 if self.sf is not None else "",
                 f"{self.dp} decimal place{'s' * (self.dp != 1)}" if self.dp is not None
                 else ""]
        both = " (the coarser for each number)" if all(parts) else ""
        return " or ".join(p for p in parts if p) + both

    def __str__(self) -> str:
        if not self.digits:
            return f"rtol {self.rtol or 0:g}, atol {self.atol or 0:g}"
        parts = [f"{self.sf}sf" if self.sf is not None else "",
                 f"{self.dp}dp" if self.dp is not None else ""]
        return " or ".join(p for p in parts if p)


DEFAULT = Precision(dp=4, sf=3)


def parse(text: str) -> Precision:
    """`4dp`, `3sf`, or both joined by `or` (the coarser counts). ValueError otherwise."""
    dp = sf = None
    for part in re.split(r"\s+or\s+|\s*,\s*", str(text).strip(), flags=re.I):
        m = SPEC.fullmatch(part)
        if m is None or int(m.group(1)) > 17 or (m.group(2).lower() == "sf"
                                                 and int(m.group(1)) == 0):
            raise ValueError(f"found {text!r}, expected decimal places or significant "
                             "figures, like 4dp, 3sf or '3sf or 4dp'")
        if m.group(2).lower() == "dp":
            dp = int(m.group(1))
        else:
            sf = int(m.group(1))
    return Precision(dp=dp, sf=sf)


# 0.5·10^k for k = -400 ... 400, looked up: a class's tolerances are millions of them
with np.errstate(over="ignore"):  # 0.5·10^400 is inf, as a clipped exponent gives it
    _HALF_POWERS = 0.5 * 10.0 ** np.arange(-400.0, 401.0)


def written_half(decimals):
    """Half a unit of the last written decimal: 0.5·10^-k for k decimals (1e3 has -3)."""
    k = np.clip(np.asarray(decimals), -300, 300).astype(np.intp)
    return np.take(_HALF_POWERS, 400 - k)
