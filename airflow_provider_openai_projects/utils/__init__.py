"""Helpers for pipelines built on the provider: the example DAGs' reports (``reporting``)."""
