"""The arithmetic of the early-warning methods, on plain numpy arrays (no database here).

Each function takes a series in time order (NaN where nothing was reported) and returns the
method's value for every period (NaN where the method cannot say anything yet). `levels` turns
values into levels with a method's bands, which are data (models.Method.bands).

- Week-on-week and year-on-year change, in percent.
- WFP ALPS (Alert for Price Spikes): a monthly series is fitted with a linear trend and one dummy
  per calendar month by least squares; ALPS_t = (P_t − P̂_t) / σ_ε, σ_ε the residuals' standard
  deviation. Needs `min_months` of history and `min_coverage` of the months reported.
- FAO GIEWS IFPA (Indicator of Food Price Anomalies, SDG 2.c.1): compound quarterly and annual
  growth rates of a monthly series, each standardised within its calendar month across the years,
  IFPA = γ·z(CQGR) + (1 − γ)·z(CAGR). We weight every year alike (FAO weights recent years more).
- 猪粮比: the hog farm-gate price over the maize wholesale price, week by week.
"""

from __future__ import annotations

import numpy as np

from shuxiang.markets.choices import Level

NAN = float("nan")


def change_pct(values: np.ndarray, lag: int) -> np.ndarray:
    """(P_t / P_{t−lag} − 1) × 100; NaN where either is missing."""
    out = np.full(values.shape, np.nan)
    if len(values) > lag:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lag:] = (values[lag:] / values[:-lag] - 1.0) * 100.0
    return out


def alps(
    values: np.ndarray, months: np.ndarray, *, min_months: int = 36, min_coverage: float = 0.7
) -> np.ndarray:
    """ALPS for every month of a monthly series; `months` holds each period's calendar month (1–12)."""
    out = np.full(values.shape, np.nan)
    seen = ~np.isnan(values)
    if len(values) < min_months or seen.sum() < max(min_coverage * len(values), 14):
        return out
    design = _alps_design(len(values), months)
    coef, *_ = np.linalg.lstsq(design[seen], values[seen], rcond=None)
    fitted = design @ coef
    resid = values[seen] - fitted[seen]
    dof = max(int(seen.sum()) - design.shape[1], 1)
    sigma = float(np.sqrt((resid**2).sum() / dof))
    if sigma <= 0:
        return out
    out[seen] = (values[seen] - fitted[seen]) / sigma
    return out


def alps_matrix(
    values: np.ndarray, months: np.ndarray, *, min_months: int = 36, min_coverage: float = 0.7
) -> np.ndarray:
    """`alps` for every row of a matrix of monthly series sharing one calendar: the rows with every
    month reported are fitted together (one least-squares with many right-hand sides), the rest one
    by one. Same numbers as `alps` row by row."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    if values.ndim != 2 or values.shape[1] < min_months:
        return out
    complete = ~np.isnan(values).any(axis=1)
    if complete.any():
        design = _alps_design(values.shape[1], months)
        block = values[complete].T
        coef, *_ = np.linalg.lstsq(design, block, rcond=None)
        resid = block - design @ coef
        dof = max(values.shape[1] - design.shape[1], 1)
        sigma = np.sqrt((resid**2).sum(axis=0) / dof)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = np.where(sigma > 0, resid / sigma, np.nan)
        out[complete] = scores.T
    for k in np.flatnonzero(~complete):
        out[k] = alps(values[k], months, min_months=min_months, min_coverage=min_coverage)
    return out


def _alps_design(n: int, months: np.ndarray) -> np.ndarray:
    """Columns: intercept, trend t, and dummies for calendar months 2…12 (January is the base)."""
    design = np.zeros((n, 13))
    design[:, 0] = 1.0
    design[:, 1] = np.arange(n, dtype=float)
    for m in range(2, 13):
        design[:, m] = months == m
    return design


def alps_realtime(values: np.ndarray, months: np.ndarray, **kwargs) -> np.ndarray:
    """ALPS as it would have been read each month with only the history up to that month (back-test)."""
    out = np.full(values.shape, np.nan)
    for t in range(len(values)):
        if not np.isnan(values[t]):
            out[t] = alps(values[: t + 1], months[: t + 1], **kwargs)[t]
    return out


def ifpa(values: np.ndarray, months: np.ndarray, *, gamma: float = 0.4, min_years: int = 2) -> np.ndarray:
    """IFPA for every month of a monthly series, or of every row of a matrix of them (NaN until a
    calendar month has `min_years` growth rates)."""
    values = np.asarray(values, dtype=float)
    n = values.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        cqgr = np.full(values.shape, np.nan)
        cagr = np.full(values.shape, np.nan)
        if n > 3:
            cqgr[..., 3:] = np.power(values[..., 3:] / values[..., :-3], 1 / 3) - 1
        if n > 12:
            cagr[..., 12:] = np.power(values[..., 12:] / values[..., :-12], 1 / 12) - 1
    return gamma * _z_by_month(cqgr, months, min_years) + (1 - gamma) * _z_by_month(cagr, months, min_years)


def _z_by_month(rates: np.ndarray, months: np.ndarray, min_years: int) -> np.ndarray:
    """Each rate standardised against the same calendar month's rates of its series (the last axis:
    one series, or one series per row), population deviation; NaN where fewer than `min_years`."""
    out = np.full(rates.shape, np.nan)
    for m in range(1, 13):
        cols = np.flatnonzero(months == m)
        if len(cols) == 0:
            continue
        x = rates[..., cols]
        count = (~np.isnan(x)).sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(x, axis=-1, keepdims=True) / count
            std = np.sqrt(np.nansum((x - mean) ** 2, axis=-1, keepdims=True) / count)
            z = (x - mean) / std
        z = np.where((count >= min_years) & (std > 0), z, np.nan)
        out[..., cols] = z
    return out


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


def _in_band(value: float, band: dict) -> bool:
    low, high = band.get("from"), band.get("to")
    return (low is None or value >= low) and (high is None or value < high)


def level_codes(values: np.ndarray, bands: list[dict]) -> np.ndarray:
    """The level of every period as an index into LEVELS (−1 where the value is NaN), for a 1-D
    series or a 2-D matrix of series (one per row). The first band holding the value wins; a band
    with `weeks` holds only when that many periods in a row (ending here) were all in it."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, -1, dtype=np.int8)
    known = ~np.isnan(values)
    out[known] = 0
    decided = ~known
    for band in bands:
        low, high = band.get("from"), band.get("to")
        inside = known.copy()
        with np.errstate(invalid="ignore"):
            if low is not None:
                inside &= values >= low
            if high is not None:
                inside &= values < high
        run = int(band.get("weeks") or 1)
        if run > 1:
            inside = _held_for(inside, run)
        hit = inside & ~decided
        out[hit] = LEVELS.index(band["level"])
        decided |= inside
    return out


def _held_for(mask: np.ndarray, run: int) -> np.ndarray:
    """True where `mask` has been True for the last `run` periods along the last axis."""
    counts = np.cumsum(mask, axis=-1, dtype=np.int32)
    held = np.zeros(mask.shape, dtype=bool)
    held[..., run - 1 :] = (
        counts[..., run - 1 :]
        - np.concatenate([np.zeros(mask.shape[:-1] + (1,), dtype=np.int32), counts[..., :-run]], axis=-1)
        == run
    )
    return held


LEVELS = list(Level.values)


def levels(values: np.ndarray, bands: list[dict]) -> list[str | None]:
    """level_codes for one series, as level names (None where the value is NaN)."""
    return [None if c < 0 else LEVELS[c] for c in level_codes(values, bands)]


def validate_bands(bands) -> list[str]:
    """Why a list of bands cannot be used (empty when it can)."""
    problems = []
    if not isinstance(bands, list) or not bands:
        return ["分级应为非空列表"]
    for i, band in enumerate(bands, start=1):
        if not isinstance(band, dict):
            problems.append(f"第{i}级应为对象")
            continue
        if band.get("level") not in Level.values:
            problems.append(f"第{i}级的级别应为 {'/'.join(Level.values)} 之一")
        for key in ("from", "to"):
            if band.get(key) is not None and not isinstance(band[key], int | float):
                problems.append(f"第{i}级的 {key} 应为数字")
        low, high = band.get("from"), band.get("to")
        if isinstance(low, int | float) and isinstance(high, int | float) and low >= high:
            problems.append(f"第{i}级的下限应小于上限")
        if band.get("weeks") is not None and (not isinstance(band["weeks"], int) or band["weeks"] < 1):
            problems.append(f"第{i}级的持续周数应为正整数")
    return problems
