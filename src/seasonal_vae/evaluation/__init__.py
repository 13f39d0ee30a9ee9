"""Stage 3, judging the generated weather: the article's statistics (``statistics``) and its
comparison table (``comparison``), the metric suite (``metric_info``, ``metrics``) against the
real-vs-real noise floor (``years``, ``suite``, ``metrics_table``), the real-vs-generated
classifier (``classifier``) and proper scores (``scores``)."""
