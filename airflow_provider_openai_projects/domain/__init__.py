"""The Admin API's rules, free of Airflow: what the operators, sensors, triggers and the org-file
engine decide, as plain functions and data.

- ``validation``: input checks that name the field, before any request.
- ``idempotency``: ``create_once``, look before creating again (docs/design.md, fact 5).
- ``audit_events``: the audit-log filters the sensor and the exports share.
- ``key_generations``: key rotation's generation names and selection.
- ``service_accounts``: provisioning a service account's key into a sink, as named steps.
- ``ratelimit_policy`` and ``ratelimit_sync``: the declarative rate-limit policy, its plan, and
  the sync's steps for worker and triggerer.
- ``hygiene``: the hygiene rules (idle keys, foreign keys, stale invites).
- ``offboarding``: offboarding's phases as named steps (the operator and the roster's leavers).

Nothing here imports Airflow at module level.
"""
