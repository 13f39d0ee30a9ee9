"""Stage 4, the article's applications on held-out years: gap filling (``impute``), anomaly
scoring (``detectors``, ``faults``, ``anomaly``) and forecasting (``forecast``), sharing their
settings and files (``results``)."""
