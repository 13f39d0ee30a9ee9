"""What each metric of the evaluation measures: its key, family, table label and unit.

The one list of the metrics, in the order of the tables and the figure: those of the metric
suite (:data:`METRICS`, computed by :mod:`seasonal_vae.evaluation.metrics`) and those of the
two-sample classifier (:data:`CLASSIFIER_METRICS`, :mod:`seasonal_vae.evaluation.classifier`).
The labels appear verbatim in ``metrics.csv``, the Markdown table and the README.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The seasons whose hourly quantiles are compared, by key.
SEASONS = {"jja": (6, 7, 8), "djf": (12, 1, 2)}
#: The hourly quantiles compared in each season.
QUANTILES = (0.01, 0.50, 0.99)


@dataclass(frozen=True)
class MetricInfo:
    """What a metric measures: its key, family, a short label for tables, and its unit."""

    name: str
    family: str
    label: str
    unit: str


def quantile_key(q: float) -> str:
    """A quantile as two digits for metric keys: ``0.01`` → ``"01"`` (as in ``q01_jja``)."""
    return f"{round(q * 100):02d}"


def _ordinal(q: float) -> str:
    n = round(q * 100)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: The metrics of the suite, in the order of the tables and the figure.
METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("clim_mean_rmse", "climatology", "mean, month × hour (RMSE)", "°F"),
    MetricInfo("clim_std_rmse", "climatology", "std, month × hour (RMSE)", "°F"),
    MetricInfo("w1_monthly", "marginals", "hourly values, W1 per month (mean)", "°F"),
    *(
        MetricInfo(
            f"q{quantile_key(q)}_{s}", "marginals", f"{s.upper()} {_ordinal(q)} percentile (abs. error)", "°F"
        )
        for s in SEASONS
        for q in QUANTILES
    ),
    MetricInfo("acf_hourly_l2", "persistence", "ACF of hourly anomalies, lags 1–72 h (L2)", "–"),
    MetricInfo("acf_daily_l2", "persistence", "ACF of daily anomalies, lags 1–30 d (L2)", "–"),
    MetricInfo("lag1_hourly", "persistence", "lag-1 slope, hourly (abs. diff.)", "–"),
    MetricInfo("lag1_daily", "persistence", "lag-1 slope, daily means (abs. diff.)", "–"),
    MetricInfo("lag1_monthly", "persistence", "lag-1 slope, monthly means (abs. diff.)", "–"),
    MetricInfo("dtr_w1_monthly", "daily range", "daily max − min, W1 per month (mean)", "°F"),
    MetricInfo("hot_run_w1", "hot spells", "hot-day run lengths (W1)", "days"),
    MetricInfo("hot_spell_days", "hot spells", "hot-spell days per year (abs. diff.)", "days/yr"),
    MetricInfo("days_ge_110", "hot spells", "days ≥ 110 °F per year (abs. diff.)", "days/yr"),
    MetricInfo("interannual_log_ratio", "variability", "std of monthly means across years, |log ratio|", "–"),
)

#: The classifier's metrics, as they appear in the tables.
CLASSIFIER_METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("classifier_accuracy", "classifier", "CNN on 7-day windows: |accuracy − 0.5|", "–"),
    MetricInfo("classifier_auroc", "classifier", "CNN on 7-day windows: |AUROC − 0.5|", "–"),
)

#: Every metric of the tables, in their order.
ALL_METRICS: tuple[MetricInfo, ...] = METRICS + CLASSIFIER_METRICS


def metric_info(name: str) -> MetricInfo:
    """The :class:`MetricInfo` of ``name`` (a metric of the suite or of the classifier)."""
    for info in ALL_METRICS:
        if info.name == name:
            return info
    raise KeyError(name)
