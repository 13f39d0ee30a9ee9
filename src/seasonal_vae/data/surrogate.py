"""A physically motivated surrogate for the hourly ERA5 2 m temperature record at Phoenix.

The real ERA5 record cannot be fetched on the machines this repository is built on, so the
package ships a *surrogate*: a synthetic hourly series, deterministic from a seed, written in
exactly the layout of the per-year netCDF files the Copernicus Climate Data Store (CDS)
serves. Everything downstream reads it as if it were ERA5; only the labels (file attributes,
README, figure captions) say otherwise. It is *not* a sum of sines: the seasonal and diurnal
cycles come out of a surface energy balance driven by the real sun, and the weather is a set
of stochastic processes with persistence and skewed tails.

Model
-----
Time ``t`` runs in UTC; temperatures are in kelvin, fluxes in W m-2.

*Sun.* With ``n`` the days since J2000.0 (2000-01-01 12:00 UTC), the low-precision solar
ephemeris of the Astronomical Almanac gives the mean longitude ``L``, the mean anomaly ``g``,
the ecliptic longitude ``λ = L + 1.915° sin g + 0.020° sin 2g``, the obliquity ``ε``, the
right ascension ``α`` and the declination ``δ = asin(sin ε sin λ)``; the equation of time is
``E = L − α`` and the Earth–Sun distance ``R = 1.00014 − 0.01671 cos g − 0.00014 cos 2g`` AU.
The hour angle follows from the UTC clock and the site longitude ``ψ``,
``h = 15°·(t_UTC − 12 h) + ψ + E``, and the cosine of the solar zenith angle is::

    cos Z = sin φ sin δ + cos φ cos δ cos h,

with ``φ`` the latitude, so day length and noon elevation change with the season. The
clear-sky irradiance at the ground follows Haurwitz's air-mass attenuation,
``S = S0 R⁻² τ cos Z exp(−k / cos Z)`` by day and 0 at night.

*Radiation budget.* A cloud fraction ``c ∈ (0, 1)`` dims the sun (Kasten–Czeplak,
``1 − a c^b``) and cancels part of the net longwave loss (``1 − l c``); moist air (a moisture
index ``m`` that peaks in the July–September monsoon and, less, in the winter storm season)
also lowers the longwave loss. The absorbed sunshine ``S_a`` and net radiation ``Q`` are::

    S_a = (1 − albedo) · S · (1 − a c^b),
    Q   = S_a − (L_dry − L_m m) · (1 − l c).

*Surface layer.* The air near the ground exchanges heat with the background air mass
through a coefficient ``Λ`` (sensible heat and ground flux, plus the linearised longwave
feedback ``4εσT³``)::

    C(t) dT/dt = Q(t) − Λ(t) · (T − T_b(t) − A(t)),
    C = C_n + c_s · S_a,    Λ = Λ_n w(t) + λ_s · S_a.

At night the layer is shallow and stable (small ``C`` and ``Λ``): it cools fast after sunset
and then levels off towards ``T_b + A − L/(Λ_n w)``, reaching its minimum near sunrise. The
night-time wind factor ``w`` (log-normal, mean 1) sets how strongly the nocturnal inversion
forms: calm nights (small ``w``) cool far below the air mass, windy nights stay mixed and
mild, so the daily range varies from day to day as at a real desert station. By day
convection deepens the mixed layer (``C`` and ``Λ`` grow with the sunshine): the morning rise
is quick and the peak comes in mid-afternoon, when ``Q/Λ`` has fallen back to meet ``T``.

*Background layer* (the boundary-layer air mass and the soil beneath: Newtonian relaxation
to a radiative equilibrium with a time constant of weeks, which sets the seasonal lag)::

    dT_b/dt = (T_0 + γ Q(t) − T_b) / τ_b.

*Weather* enters through the advective anomaly ``A`` of the air the surface relaxes to::

    A(t) = σ_syn(t) X(t) + H(t) + σ_yr U(t) + r (t − t_ref),

where ``U`` is a unit Ornstein–Uhlenbeck process (year-to-year, months), ``X`` a unit
synoptic process (an Ornstein–Uhlenbeck driver of about a day that the air mass follows with
a lag of about a day, so that its autocorrelation is flat over hours and falls off faster
than an exponential over days: multi-day anomalies fade within a week), ``σ_syn`` is largest
in midwinter, ``r`` is the warming trend
(0.7 °F per decade, continuous in time) and ``H`` is the regime forcing: a chain alternates
quiet spells with events lasting days, each a ridge (heat wave) or a trough (cold snap) with
a gamma-distributed (skewed) intensity, seasonally scaled (cold snaps strongest in winter,
warm spells in spring), built up and decayed over a day. The cloud fraction is a logistic
transform of a persistent Gaussian process whose mean rises with the moisture index and in
monsoon afternoons (thunderstorms) and falls under ridges and in the dry air behind troughs.
The log of the wind factor ``w`` is a Gaussian process of most of a day, more variable in the
winter storm season, raised in troughs (frontal winds) and lowered under ridges (calm,
subsiding air). The reported 2 m temperature is ``T + σ_ms M + σ_hf Y``, ``M`` and ``Y`` unit
Ornstein–Uhlenbeck processes of a few hours and of about an hour (sub-daily weather such as
wind shifts, outflows and passing cloud, and turbulent fluctuations, which the layer model
does not resolve).

*Integration.* Both layers are linear in temperature, so each sub-step (``SUBSTEPS_PER_HOUR``
per hour, forcing and coefficients held at their mid-step values) is advanced exactly:
``T[k] = e^(−Δt Λ/C) T[k−1] + (1 − e^(−Δt Λ/C)) (T_b + A + Q/Λ)``, evaluated for the whole
record at once with recursive filters and a blocked scan. The run starts ``SPINUP_DAYS``
before the first requested hour, so that the initial state is forgotten, and the series is
sampled at whole UTC hours (ERA5's analyses are instantaneous).

All random numbers come from one ``numpy.random.default_rng(seed)``. The parameters are the
module-level constants below, tuned so that the 1974–2023 record matches the published
statistics of the real ERA5 record at this grid point, and so that its day-to-day
variability of the daily range, the shape of its hourly-anomaly autocorrelation and the
persistence of its daily anomalies follow a real station record (AZMET Phoenix Greenway,
2003–2017; :func:`seasonal_vae.data.weather_statistics.weather_statistics` measures them).
``data/surrogate/README.md`` lists the measured values.

The sun is :mod:`seasonal_vae.data.sun`, the recursions and random processes
:mod:`seasonal_vae.data.processes`; :mod:`seasonal_vae.data.surrogate_files` writes the record
in the layout of the CDS's per-year files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from seasonal_vae.data.processes import relax, relax_varying, unit_ou, unit_smooth_ou
from seasonal_vae.data.sun import clear_sky_irradiance

# --- Site, calendar and integration -----------------------------------------------------
SITE_LATITUDE = 33.5  # degrees north, the ERA5 grid point nearest Phoenix, Arizona
SITE_LONGITUDE = -112.0  # degrees east
DEFAULT_FIRST_YEAR = 1974  # first UTC year of the bundled record
DEFAULT_LAST_YEAR = 2023  # last UTC year of the bundled record
DEFAULT_SEED = 20240814  # seed of the bundled record (the article's publication date)
SUBSTEPS_PER_HOUR = 4  # integration sub-steps per hour (15 min)
SPINUP_DAYS = 365  # days simulated before the first requested hour, then discarded
TREND_REFERENCE = np.datetime64("1999-01-01T00:00")  # instant at which the trend term is zero

# --- Radiation ----------------------------------------------------------------------------
SURFACE_ALBEDO = 0.25  # shortwave albedo of the desert surface
CLOUD_SW_A = 0.75  # Kasten–Czeplak a: an overcast sky removes 75 % of the sunshine
CLOUD_SW_B = 3.4  # Kasten–Czeplak b: thin or broken cloud barely dims the sun
NET_LONGWAVE_DRY = 120.0  # W m-2, L_dry: net longwave loss under a clear sky and dry air
LONGWAVE_MOISTURE = 79.7  # W m-2, L_m: reduction of that loss by monsoon-peak moisture (m = 1)
CLOUD_LW_REDUCTION = 0.8  # l: fraction of the net longwave loss an overcast sky cancels

# --- Energy balance -----------------------------------------------------------------------
NIGHT_HEAT_CAPACITY = 1.5e5  # J m-2 K-1, C_n: shallow nocturnal layer plus the soil skin
CONVECTIVE_HEAT_CAPACITY = 800.0  # s K-1, c_s: growth of C per W m-2 of sunshine (mixed layer)
NIGHT_EXCHANGE = 18.0  # W m-2 K-1, Λ_n: exchange under the stable nocturnal layer
CONVECTIVE_EXCHANGE = 0.0518  # K-1, λ_s: growth of Λ per W m-2 of sunshine (convection)
BACKGROUND_TEMPERATURE = 280.12  # K, T_0: background equilibrium at zero net radiation
BACKGROUND_SENSITIVITY = 0.155  # K per W m-2, γ: background equilibrium response to Q
BACKGROUND_TIMESCALE_D = 42.1  # days, τ_b: relaxation time of the background (seasonal lag)
TREND_K_PER_YEAR = 0.07 * 5.0 / 9.0  # K per year, r: the 0.7 °F per decade warming trend

# --- Weather ------------------------------------------------------------------------------
SYNOPTIC_TIMESCALE_H = 30.0  # hours, decorrelation time of the synoptic driver of X
SYNOPTIC_ADJUSTMENT_H = 30.0  # hours, time the air mass takes to follow that driver
SYNOPTIC_STD_MEAN = 2.0  # K, annual mean of σ_syn
SYNOPTIC_STD_AMPLITUDE = 1.1  # K, seasonal amplitude of σ_syn
SYNOPTIC_PEAK_DAY = 20.0  # day of year when σ_syn is largest (midwinter storm track)
INTERANNUAL_TIMESCALE_D = 300.0  # days, decorrelation time of year-to-year anomalies U
INTERANNUAL_STD = 0.4  # K, σ_yr
TURBULENCE_TIMESCALE_H = 1.0  # hours, decorrelation time of unresolved fluctuations Y
TURBULENCE_STD = 0.5  # K, σ_hf
MESOSCALE_TIMESCALE_H = 3.0  # hours, decorrelation time of sub-daily weather M
MESOSCALE_STD = 0.6  # K, σ_ms
WIND_TIMESCALE_H = 18.0  # hours, decorrelation time of the night-time wind (mixing) process
WIND_LOG_STD = 0.65  # standard deviation of the log of the night-time exchange multiplier w
WIND_SEASONALITY = 0.6  # wind variability half a year from SYNOPTIC_PEAK_DAY is 1 − this
TROUGH_WIND_LOG = 0.5  # log w change in a trough (frontal winds keep the night air mixed)
RIDGE_WIND_LOG = -0.3  # log w change under a ridge (calm nights, strong inversions)
QUIET_SPELL_DAYS = 4.0  # mean length of a spell without a ridge or trough
EVENT_SPELL_DAYS = 3.5  # mean length of a ridge or trough event
RIDGE_PROBABILITY = 0.5  # chance that an event is a ridge (warm spell) rather than a trough
RIDGE_INTENSITY_K = 2.5  # K, mean ridge intensity at its seasonal peak
RIDGE_PEAK_DAY = 100.0  # day of year when ridges are strongest (spring)
RIDGE_SEASONALITY = 0.9  # ridge intensity half a year from the peak is 1 − this
RIDGE_INTENSITY_SHAPE = 6.0  # gamma shape of ridge intensity (mild skew: heat is capped)
TROUGH_INTENSITY_K = 4.0  # K, mean trough intensity at its seasonal peak
TROUGH_PEAK_DAY = 20.0  # day of year when troughs are strongest (midwinter)
TROUGH_SEASONALITY = 0.6  # trough intensity half a year from the peak is 1 − this
TROUGH_INTENSITY_SHAPE = 4.0  # gamma shape of trough intensity (longer cold tail)
REGIME_ONSET_H = 24.0  # hours, time scale on which a ridge or trough builds and decays
CLOUD_TIMESCALE_H = 24.0  # hours, decorrelation time of the cloud process
CLOUD_LOGIT_MEAN = -2.2  # logit of the typical dry-season cloud fraction
CLOUD_LOGIT_STD = 2.0  # standard deviation of the stochastic part of the cloud logit
CLOUD_LOGIT_MOISTURE = 1.6  # extra cloud logit at moisture index m = 1
MONSOON_PEAK_DAY = 200.0  # day of year of the monsoon moisture maximum (mid-July)
MONSOON_WIDTH_D = 30.0  # days, half-width (1σ) of the monsoon season
WINTER_MOISTURE = 0.5  # moisture index at the height of the winter storm season
WINTER_PEAK_DAY = 15.0  # day of year of the winter storm maximum (mid-January)
WINTER_WIDTH_D = 40.0  # days, half-width (1σ) of the winter storm season
THUNDERSTORM_LOGIT = 2.5  # extra cloud logit of monsoon afternoon convection at its peak
THUNDERSTORM_HOUR = 16.0  # local mean solar hour when thunderstorm cloud is most extensive
THUNDERSTORM_WIDTH_H = 3.0  # hours, half-width (1σ) of the afternoon thunderstorm cloud
TROUGH_CLOUD_LOGIT = -0.5  # cloud logit change in a trough (dry polar air behind the front)
RIDGE_CLOUD_LOGIT = -1.0  # cloud logit change under a ridge (subsidence clears the sky)

# The module's name when the bundled record was written (before the stage subpackages): it
# is in every file's title and source, so it stays, and a regeneration writes the same bytes.
SURROGATE_LABEL = "SURROGATE DATA generated by seasonal_vae.surrogate (seed {seed}), not ERA5"

_DAYS_PER_YEAR = 365.2422  # tropical year, for the seasonal phase of the weather statistics
_SECONDS_PER_HOUR = 3600.0
_YEAR_START_UNIX_DAYS = 10957.0  # 2000-01-01 00:00 UTC, origin of the day-of-year phase


def _day_of_year(unix_days: np.ndarray) -> np.ndarray:
    """Days since 1 January 00:00 UTC on the mean tropical-year calendar (no leap steps)."""
    return (unix_days - _YEAR_START_UNIX_DAYS) % _DAYS_PER_YEAR


def _seasonal_bump(day: np.ndarray, peak_day: float, width_days: float) -> np.ndarray:
    """Gaussian of the circular distance (in days) between ``day`` and ``peak_day``."""
    distance = (day - peak_day + _DAYS_PER_YEAR / 2.0) % _DAYS_PER_YEAR - _DAYS_PER_YEAR / 2.0
    return np.exp(-0.5 * (distance / width_days) ** 2)


def _seasonal_scale(day: np.ndarray, peak_day: float, seasonality: float) -> np.ndarray:
    """1 at ``peak_day``, falling smoothly to ``1 − seasonality`` half a year later."""
    return 1.0 - seasonality * np.sin(np.pi * (day - peak_day) / _DAYS_PER_YEAR) ** 2


def _regimes(rng: np.random.Generator, n_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily regime chain: quiet spells alternating with ridge or trough events.

    Spell lengths are geometric (means ``QUIET_SPELL_DAYS`` and ``EVENT_SPELL_DAYS``), so
    regimes persist for days; an event is a ridge with probability ``RIDGE_PROBABILITY``,
    else a trough, and its intensity is gamma distributed with mean 1 (shape
    ``RIDGE_INTENSITY_SHAPE`` or ``TROUGH_INTENSITY_SHAPE``: the smaller the shape, the
    longer the tail).

    Returns
    -------
    ridge, trough, intensity:
        Per day: whether a ridge or a trough is in place, and the event's unit intensity
        (0 on quiet days).
    """
    n_cycles = n_days // 2 + 1  # every spell lasts at least one day, so this always suffices
    lengths = np.column_stack(
        [rng.geometric(1.0 / QUIET_SPELL_DAYS, n_cycles), rng.geometric(1.0 / EVENT_SPELL_DAYS, n_cycles)]
    ).ravel()
    is_ridge = rng.random(n_cycles) < RIDGE_PROBABILITY
    strength = np.where(
        is_ridge,
        rng.gamma(RIDGE_INTENSITY_SHAPE, 1.0 / RIDGE_INTENSITY_SHAPE, n_cycles),
        rng.gamma(TROUGH_INTENSITY_SHAPE, 1.0 / TROUGH_INTENSITY_SHAPE, n_cycles),
    )
    in_event = np.repeat(np.tile([False, True], n_cycles), lengths)[:n_days]
    cycle = np.repeat(np.repeat(np.arange(n_cycles), 2), lengths)[:n_days]
    ridge = in_event & is_ridge[cycle]
    trough = in_event & ~is_ridge[cycle]
    return ridge, trough, np.where(in_event, strength[cycle], 0.0)


def _weather(
    rng: np.random.Generator, hours: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Advective anomaly, cloud fraction and moisture index at each hour.

    Parameters
    ----------
    rng:
        Random generator (draws: regimes, synoptic, year-to-year, cloud processes).
    hours:
        Whole UTC hours as days since 1970-01-01, starting at a midnight, whole days long.

    Returns
    -------
    anomaly, cloud, moisture:
        ``A`` in kelvin, ``c`` in (0, 1) and ``m`` (0 in the dry seasons, 1 at the monsoon
        peak), one value per hour.
    """
    n_hours = len(hours)
    day = _day_of_year(hours)

    ridge, trough, strength = _regimes(rng, n_hours // 24)
    ridge_h = np.repeat(ridge, 24).astype("float64")
    trough_h = np.repeat(trough, 24).astype("float64")
    regime_forcing = np.repeat(strength, 24) * (
        ridge_h * RIDGE_INTENSITY_K * _seasonal_scale(day, RIDGE_PEAK_DAY, RIDGE_SEASONALITY)
        - trough_h * TROUGH_INTENSITY_K * _seasonal_scale(day, TROUGH_PEAK_DAY, TROUGH_SEASONALITY)
    )
    # Regimes build up and decay over REGIME_ONSET_H rather than switching at midnight.
    regime_forcing = relax(regime_forcing, 1.0, REGIME_ONSET_H, 0.0)
    ridge_h = relax(ridge_h, 1.0, REGIME_ONSET_H, 0.0)
    trough_h = relax(trough_h, 1.0, REGIME_ONSET_H, 0.0)

    synoptic_std = SYNOPTIC_STD_MEAN + SYNOPTIC_STD_AMPLITUDE * np.cos(
        2.0 * np.pi * (day - SYNOPTIC_PEAK_DAY) / _DAYS_PER_YEAR
    )
    reference = TREND_REFERENCE.astype("datetime64[s]").astype("int64") / 86400.0
    anomaly = (
        synoptic_std * unit_smooth_ou(rng, n_hours, SYNOPTIC_TIMESCALE_H, SYNOPTIC_ADJUSTMENT_H)
        + regime_forcing
        + INTERANNUAL_STD * unit_ou(rng, n_hours, 24.0 * INTERANNUAL_TIMESCALE_D)
        + TREND_K_PER_YEAR * (hours - reference) / _DAYS_PER_YEAR
    )

    monsoon = _seasonal_bump(day, MONSOON_PEAK_DAY, MONSOON_WIDTH_D)
    moisture = monsoon + WINTER_MOISTURE * _seasonal_bump(day, WINTER_PEAK_DAY, WINTER_WIDTH_D)
    solar_hour = (hours % 1.0 * 24.0 + SITE_LONGITUDE / 15.0) % 24.0
    thunderstorms = np.exp(-0.5 * ((solar_hour - THUNDERSTORM_HOUR) / THUNDERSTORM_WIDTH_H) ** 2)
    cloud_logit = (
        CLOUD_LOGIT_MEAN
        + CLOUD_LOGIT_MOISTURE * moisture
        + THUNDERSTORM_LOGIT * monsoon * thunderstorms
        + TROUGH_CLOUD_LOGIT * trough_h
        + RIDGE_CLOUD_LOGIT * ridge_h
        + CLOUD_LOGIT_STD * unit_ou(rng, n_hours, CLOUD_TIMESCALE_H)
    )
    wind_std = WIND_LOG_STD * _seasonal_scale(day, SYNOPTIC_PEAK_DAY, WIND_SEASONALITY)
    wind_log = (
        wind_std * unit_ou(rng, n_hours, WIND_TIMESCALE_H)
        - 0.5 * wind_std**2
        + TROUGH_WIND_LOG * trough_h
        + RIDGE_WIND_LOG * ridge_h
    )
    return anomaly, 1.0 / (1.0 + np.exp(-cloud_logit)), moisture, np.exp(wind_log)


def _simulate(rng: np.random.Generator, start_unix_days: float, n_days: int) -> np.ndarray:
    """Run the two-layer energy balance for ``n_days`` from the UTC midnight ``start_unix_days``.

    Parameters
    ----------
    rng:
        Random generator for the weather and the hour-scale fluctuations.
    start_unix_days:
        Start of the run, in days since 1970-01-01 (a whole number: a UTC midnight).
    n_days:
        Length of the run in days.

    Returns
    -------
    numpy.ndarray
        ``24 · n_days`` instantaneous 2 m temperatures in kelvin, value ``k`` at
        ``start + k`` hours. The first value is the initial state: discard a spin-up.
    """
    steps = SUBSTEPS_PER_HOUR
    dt_h = 1.0 / steps
    n_hours = 24 * n_days
    anomaly, cloud, moisture, wind = _weather(rng, start_unix_days + np.arange(n_hours) / 24.0)

    # Forcing at sub-step mid-points; the hourly weather is held over each hour.
    mid = start_unix_days + (np.arange(n_hours * steps) + 0.5) * dt_h / 24.0
    cloud = np.repeat(cloud, steps)
    sunshine = (
        (1.0 - SURFACE_ALBEDO)
        * clear_sky_irradiance(mid, SITE_LATITUDE, SITE_LONGITUDE)
        * (1.0 - CLOUD_SW_A * cloud**CLOUD_SW_B)
    )
    longwave = np.repeat(NET_LONGWAVE_DRY - LONGWAVE_MOISTURE * moisture, steps)
    net_radiation = sunshine - longwave * (1.0 - CLOUD_LW_REDUCTION * cloud)

    equilibrium = BACKGROUND_TEMPERATURE + BACKGROUND_SENSITIVITY * net_radiation
    background = relax(equilibrium, dt_h, 24.0 * BACKGROUND_TIMESCALE_D, equilibrium[: 24 * steps].mean())
    exchange = NIGHT_EXCHANGE * np.repeat(wind, steps) + CONVECTIVE_EXCHANGE * sunshine
    heat_capacity = NIGHT_HEAT_CAPACITY + CONVECTIVE_HEAT_CAPACITY * sunshine
    target = background + np.repeat(anomaly, steps) + net_radiation / exchange
    decay = np.exp(-dt_h * _SECONDS_PER_HOUR * exchange / heat_capacity)
    surface = relax_varying(decay, target, target[0], 24 * steps)

    # The state after sub-step k is at start + (k + 1)·dt, so whole hours are k = steps·h − 1.
    hourly = np.concatenate([[target[0]], surface[steps - 1 : -1 : steps]])
    return (
        hourly
        + MESOSCALE_STD * unit_ou(rng, n_hours, MESOSCALE_TIMESCALE_H)
        + TURBULENCE_STD * unit_ou(rng, n_hours, TURBULENCE_TIMESCALE_H)
    )


def generate_surrogate(
    first_year: int = DEFAULT_FIRST_YEAR, last_year: int = DEFAULT_LAST_YEAR, seed: int = DEFAULT_SEED
) -> xr.DataArray:
    """Generate the surrogate hourly 2 m temperature record.

    Parameters
    ----------
    first_year, last_year:
        UTC calendar years covered, inclusive: every hour of them, leap days included
        (438,288 hours for 1974–2023).
    seed:
        Seed of ``numpy.random.default_rng``; the same seed and years give identical values.

    Returns
    -------
    xarray.DataArray
        ``t2m`` in kelvin (float32, like ERA5) on the dimension ``valid_time`` (UTC, naive
        ``datetime64``), with attributes that name it surrogate data and give its seed.
    """
    if last_year < first_year:
        raise ValueError(f"last_year ({last_year}) is before first_year ({first_year})")
    times = pd.date_range(f"{first_year}-01-01", f"{last_year}-12-31 23:00", freq="h")
    start = np.datetime64(f"{first_year}-01-01", "D").astype("int64")
    rng = np.random.default_rng(seed)
    kelvin = _simulate(rng, float(start - SPINUP_DAYS), len(times) // 24 + SPINUP_DAYS)
    label = SURROGATE_LABEL.format(seed=seed)
    return xr.DataArray(
        kelvin[24 * SPINUP_DAYS :].astype("float32"),
        dims=("valid_time",),
        coords={"valid_time": times.to_numpy().astype("datetime64[ns]")},
        name="t2m",
        attrs={
            "long_name": "2 metre temperature",
            "units": "K",
            "seed": seed,
            "title": f"{label} — see data/README.md",
            "source": (
                f"{label}: a surface energy balance driven by the real sun plus "
                f"stochastic weather, imitating ERA5 hourly 2 m temperature at "
                f"{SITE_LATITUDE} N, {-SITE_LONGITUDE} W (Phoenix, Arizona)"
            ),
            "comment": (
                "SURROGATE DATA, not ERA5 — see data/README.md. It contains no ERA5 "
                "data. For the real record run the `download` rule with a CDS key "
                "(Hersbach et al. 2023, doi:10.24381/cds.adbb2d47)."
            ),
        },
    )
