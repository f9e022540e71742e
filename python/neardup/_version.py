"""The package's version (also in pyproject.toml), for the outputs that record it."""

__version__ = "0.1.0"
