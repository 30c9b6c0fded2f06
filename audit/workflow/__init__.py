"""The quarterly review workflow around one audit run.

Accepted risks (suppressions), the run history in ``reports/<account>/<time>/``, the diff
between two reviews (findings and identity changes), the review of a run against its earlier
runs, the ``--fail-on`` gate and exit code, and e-mailing the PDF. ``audit.pipeline`` strings
these steps together; nothing here imports the report renderers' templates or the CLI.
"""
