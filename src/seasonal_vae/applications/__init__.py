"""Stage 4, the article's applications on held-out years: gap filling (``impute``, with the
baseline ``fills``), anomaly scoring (``detectors``, ``faults``, ``anomaly``) and forecasting
(``forecast``), sharing their settings and files (``results``)."""
