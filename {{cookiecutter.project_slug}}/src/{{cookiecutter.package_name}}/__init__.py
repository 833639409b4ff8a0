"""Shared code of the Metaflow flows: data, contenders, models, evaluation and plots."""

__version__ = "0.1.0"
