"""Stage 4, the article's applications on held-out years: gap filling, anomaly scoring and
forecasting."""
