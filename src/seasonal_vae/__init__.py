"""Seasonal-prior variational autoencoder for hourly temperature time series.

Companion code to D. Kyle (2024), "VAE for Time Series". The subpackages are the pipeline's
stages, and imports point one way only (each imports only those before it):

``core`` (errors, config, calendar, I/O, paths) ← ``data`` (ERA5, station files, series,
detrending, windows, surrogate) ← ``model`` (the VAE, training, sampling, posterior fitting,
baselines) ← ``evaluation`` ← ``applications`` ← ``figures``; ``cli`` and ``workspace`` sit on
top.
"""

__version__ = "0.1.0"
