"""Exporting the organization's records (audit logs, usage, costs) into storage.

No Airflow import here except through :mod:`.storage`'s duck-typed paths: the interval
rules (:mod:`.intervals`) and the exactly-once file writer (:mod:`.storage`) are plain
Python, so they are unit-tested without a scheduler; the operators in
:mod:`airflow_provider_openai_projects.operators.exports` wire them to Airflow.
"""
