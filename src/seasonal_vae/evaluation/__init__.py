"""Stage 3, judging the generated weather: the article's statistics (``statistics``) and its
comparison table (``comparison``), the metric suite (``metric_info``, ``metrics`` with
``set_arrays``, ``set_summaries`` and ``harmonic_climatology``) against the real-vs-real
noise floor (``years``, ``suite``, ``metrics_table``), the real-vs-generated classifier
(``classifier``, trained by ``classifier_training``) and proper scores (``scores``)."""
