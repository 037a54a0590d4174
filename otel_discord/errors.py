"""Exceptions the package raises to its users."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting is invalid. The message names the setting and never holds a secret."""
