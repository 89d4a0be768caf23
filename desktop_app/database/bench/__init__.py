"""SQL that only ``stock-tracker bench`` runs: its own schemas and rows, never the user's data.

Kept apart from the product's persistence (``desktop_app.database``) so that the app's code paths
never reach it: ``query_dataset`` builds the ``bench_query`` schema that ``bench query`` measures,
``scratch_ingest_schema`` the throw-away tables of ``bench ingest``, and ``symbol_rows`` the rows
``bench ui`` adds for a synthetic symbol and removes afterwards.
"""
