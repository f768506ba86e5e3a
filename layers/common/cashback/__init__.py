"""The cashback API's shared layer: settings, models, errors, auth, rate limits and data access."""

__version__ = "0.1.0"
