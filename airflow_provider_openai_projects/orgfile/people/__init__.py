"""The org file's ``people`` section: joiners, movers and leavers from an HR roster.

- :mod:`.config`: the section as typed values, and the loader's checks of its meaning.
- :mod:`.source`: reading the roster's rows (a file at an ``ObjectStoragePath`` URI, CSV or
  JSON Lines, or a SQL query through a ``common.sql`` connection), keeping only the mapped
  columns.
- :mod:`.roster`: the rows as people (email, status, team, manager), every row checked.
- :mod:`.plan`: the changes that make the organization match the roster.

The handler :mod:`..handlers.people` plans and applies them with the other families.
Nothing here imports Airflow at module level.
"""
