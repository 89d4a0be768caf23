"""Exceptions raised at the boundaries where they can be explained to the user.

The CLI maps ``ConfigurationError`` (and its subclasses) to exit code 2 with its message as the one
line the user sees; anything else is a runtime failure (exit 1, message + log file path).
"""


class StockTrackerError(Exception):
    """Base of the app's own errors: the message is meant for the user."""


class ConfigurationError(StockTrackerError):
    """Bad arguments, settings or environment: the user can fix it (exit 2)."""


class DatabaseConfigurationError(ConfigurationError):
    """The configured database cannot be used: unreachable, bad password, missing database."""


class MissingCredentialsError(ConfigurationError):
    """SSI credentials are needed but not configured."""
