"""The org file's ``people`` section: joiners, movers and leavers from an HR roster.

- :mod:`.config`: the section as typed values, and the loader's checks of its meaning.
- :mod:`.source`: reading the roster's rows (a file at an ``ObjectStoragePath`` URI, CSV or
  JSON Lines, or a SQL query through a ``common.sql`` connection), keeping only the mapped
  columns.
- :mod:`.roster`: the rows as people (email, status, team, manager), every row checked.
- :mod:`.report`: the sync's report (joiners, movers, leavers, people to look at) from a plan.

The handler :mod:`..handlers.people` (its plan in :mod:`..handlers._people_plan`) plans and
applies the changes with the other families. Nothing here imports the handlers (no import
circle).
Nothing here imports Airflow at module level.
"""
