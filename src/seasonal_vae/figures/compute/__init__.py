"""The figures' numbers: one module per figure, each with ``compute(paths, cfg)``.

``compute`` reads the pipeline files the registry names for its figure and returns the
numbers the figure shows as an :class:`xarray.Dataset` (written to
``results/<dataset>/figdata/<figure>.nc``). Shared helpers: :mod:`.layers` (the maths of a
stack of convolutions), :mod:`.probe` (the trained model and its windows),
:mod:`.generated` (real and generated series side by side) and :mod:`.calendar_stats`
(statistics per calendar cell).
"""
