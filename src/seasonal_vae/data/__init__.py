"""Stage 1, data in: ERA5 download and reading, station files, one clean hourly series,
the bundled surrogate, detrending and the training/validation windows."""
