"""Benchmarks of the provider against the embedded emulator (``make bench``).

Not part of ``make test``; ``tests/performance`` runs the same scenarios at a small size
and asserts their call counts, so regressions in calls are caught by the suite.
"""
