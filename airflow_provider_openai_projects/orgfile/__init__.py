"""The organization as code: an org file (YAML), its JSON Schema, plan, apply, export.

No Airflow import here: the engine works with the client (or the hook, which has the same
methods). Entry points: :func:`.loader.load_file`, :func:`.engine.plan`,
:func:`.engine.apply`, :func:`.engine.export`, :func:`.render.plan_table`.
"""
