"""Plans at the cost of what changed: the last read kept, then followed through the audit log.

- :mod:`.cache`: what the last plan read (never a key) and the audit-log position it covers.
- :mod:`.follow`: the audit-log events since that position (overlap window, gap checks).
- :mod:`.invalidation`: one table, event type -> the reads it may have made stale.
- :mod:`.attribution`: who changed what (actor and time per drift line).
- :mod:`.planner`: the plan itself (reuse what the log leaves untouched, re-read the rest).

Nothing is imported here, so importing this package costs nothing at DAG parse time.
"""
