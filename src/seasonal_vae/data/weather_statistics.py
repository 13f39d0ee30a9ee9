"""Weather statistics to check an hourly record against a real station with.

:func:`weather_statistics` measures the day-to-day variability of the daily range, the
autocorrelation of hourly anomalies and the persistence of daily anomalies: the properties the
surrogate record (:mod:`seasonal_vae.data.surrogate`) is tuned to share with the AZMET station
Phoenix Greenway (``data/surrogate/README.md`` lists both).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def _acf(values: np.ndarray, lags: Iterable[int]) -> dict[int, float]:
    """Autocorrelation of a gap-free series at the given lags (mean and variance of the whole)."""
    x = np.asarray(values, dtype="float64")
    x = x - x.mean()
    variance = float(np.dot(x, x))
    return {int(lag): float(np.dot(x[:-lag], x[lag:]) / variance) for lag in lags}


def weather_statistics(fahrenheit: pd.Series) -> dict[str, float]:
    """Weather statistics an hourly record can be checked against a real station with.

    Parameters
    ----------
    fahrenheit:
        Hourly temperature in °F, indexed by local standard time, gap-free over whole local
        days (leading and trailing partial days are dropped).

    Returns
    -------
    dict
        ``range_mean`` and ``range_std``: mean and day-to-day standard deviation of the daily
        range (max − min over a local day, °F); ``acf_h6`` … ``acf_h96``: autocorrelation of
        the hourly anomalies from the calendar-month × local-hour climatology at 6, 12, 24 and
        96 h; ``acf_d1``, ``acf_d2``, ``acf_d5``: autocorrelation of the daily means of those
        anomalies at 1, 2 and 5 days.
    """
    series = fahrenheit.astype("float64")
    days = series.index.floor("D")
    counts = series.groupby(days).count()
    whole = counts.index[counts == 24]
    series = series[days.isin(whole)]
    index = series.index
    if len(series) != 24 * len(whole) or len(whole) and ((whole[-1] - whole[0]).days + 1 != len(whole)):
        raise ValueError("the record must be hourly and gap-free over whole local days")
    daily = series.groupby(index.floor("D"))
    spread = daily.max() - daily.min()
    climatology = series.groupby([index.month, index.hour]).transform("mean")
    anomaly = (series - climatology).to_numpy()
    hourly = _acf(anomaly, (6, 12, 24, 96))
    day_means = anomaly.reshape(-1, 24).mean(axis=1)
    daily_acf = _acf(day_means, (1, 2, 5))
    return {
        "range_mean": float(spread.mean()),
        "range_std": float(spread.std(ddof=1)),
        **{f"acf_h{lag}": value for lag, value in hourly.items()},
        **{f"acf_d{lag}": value for lag, value in daily_acf.items()},
    }
