"""VN30 Stock Tracker: live VN30 market watch persisted to PostgreSQL."""

# The one place the version is written: pyproject.toml reads it (``[tool.setuptools.dynamic]``).
__version__ = "0.1.0"

DISTRIBUTION = "vn30-stock-tracker"


def app_version() -> str:
    """The installed distribution's version, else this source tree's ``__version__``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source checkout (python -m desktop_app)
        return __version__
