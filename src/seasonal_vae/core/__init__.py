"""Stage 0, shared by every stage: errors, atomic writes, the configuration and its schema,
the calendar (time of year, 365-day day, latent steps), runs in a mask, checked netCDF input
and the pipeline's path table. Imports nothing else of the package."""
