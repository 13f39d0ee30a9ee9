"""Seasonal-prior variational autoencoder for hourly temperature time series.

Companion code to D. Kyle (2024), "VAE for Time Series". The package is organised by
pipeline stage: ``era5`` and ``surrogate`` (raw data), ``series`` (one clean hourly series),
``detrend``, ``windows``, ``model``, ``train``, ``sample``, ``stats`` and ``plotting``.
"""

__version__ = "0.1.0"
