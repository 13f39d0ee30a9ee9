"""Where the sun is: solar geometry and clear-sky irradiance at any site and instant.

:func:`solar_geometry` is the low-precision solar ephemeris of the Astronomical Almanac (solar
declination, equation of time, Earth–Sun distance) turned into the cosine of the solar zenith
angle at a site; :func:`clear_sky_irradiance` is Haurwitz's clear-sky global irradiance at the
ground. They drive the surface energy balance of the surrogate record
(:mod:`seasonal_vae.data.surrogate`).
"""

from __future__ import annotations

import numpy as np

SOLAR_CONSTANT = 1361.0  # W m-2, total solar irradiance at 1 AU
CLEAR_SKY_TRANSMITTANCE = 0.807  # Haurwitz clear-sky factor τ (1098 W m-2 / S0)
CLEAR_SKY_EXTINCTION = 0.059  # Haurwitz air-mass extinction coefficient k

_J2000_UNIX_DAYS = 10957.5  # 2000-01-01 12:00 UTC in days since 1970-01-01


def solar_geometry(unix_days: np.ndarray, latitude: float, longitude: float) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of the solar zenith angle and Earth–Sun distance at the given instants.

    Parameters
    ----------
    unix_days:
        UTC instants as (fractional) days since 1970-01-01 00:00.
    latitude, longitude:
        Site coordinates in degrees (north, east).

    Returns
    -------
    cos_zenith, distance_au:
        ``cos Z`` (negative when the sun is below the horizon) and ``R`` in astronomical
        units, from the Astronomical Almanac's low-precision solar ephemeris (accurate to
        about 0.01° in declination and a few seconds in the equation of time).
    """
    n = np.asarray(unix_days, dtype="float64") - _J2000_UNIX_DAYS
    mean_longitude = np.deg2rad((280.460 + 0.9856474 * n) % 360.0)
    mean_anomaly = np.deg2rad((357.528 + 0.9856003 * n) % 360.0)
    ecliptic_longitude = (
        mean_longitude
        + np.deg2rad(1.915) * np.sin(mean_anomaly)
        + np.deg2rad(0.020) * np.sin(2.0 * mean_anomaly)
    )
    obliquity = np.deg2rad(23.439 - 4.0e-7 * n)
    right_ascension = np.arctan2(np.cos(obliquity) * np.sin(ecliptic_longitude), np.cos(ecliptic_longitude))
    declination = np.arcsin(np.sin(obliquity) * np.sin(ecliptic_longitude))
    equation_of_time = (mean_longitude - right_ascension + np.pi) % (2.0 * np.pi) - np.pi
    utc_hours = (n + 0.5) % 1.0 * 24.0
    hour_angle = np.deg2rad(15.0 * (utc_hours - 12.0) + longitude) + equation_of_time
    lat = np.deg2rad(latitude)
    cos_zenith = np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(hour_angle)
    distance_au = 1.00014 - 0.01671 * np.cos(mean_anomaly) - 0.00014 * np.cos(2.0 * mean_anomaly)
    return cos_zenith, distance_au


def clear_sky_irradiance(unix_days: np.ndarray, latitude: float, longitude: float) -> np.ndarray:
    """Clear-sky global horizontal irradiance at the ground.

    ``S = S0 R⁻² τ cos Z exp(−k / cos Z)`` by day and 0 at night: Haurwitz's model scaled
    by the Earth–Sun distance.

    Parameters
    ----------
    unix_days, latitude, longitude:
        As for :func:`solar_geometry`.

    Returns
    -------
    numpy.ndarray
        Irradiance in W m-2.
    """
    cos_zenith, distance_au = solar_geometry(unix_days, latitude, longitude)
    sun_up = cos_zenith > 0.0
    mu = np.where(sun_up, cos_zenith, 1.0)
    irradiance = (
        SOLAR_CONSTANT / distance_au**2 * CLEAR_SKY_TRANSMITTANCE * mu * np.exp(-CLEAR_SKY_EXTINCTION / mu)
    )
    return np.where(sun_up, irradiance, 0.0)
