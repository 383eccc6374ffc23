"""Everything that talks to a Kubernetes API server.

This package is the only code that imports the kubernetes client, and it
does so lazily inside functions that need it: ``ship`` (the agent payload)
and the pure manifest builder in ``debugpod`` import nothing from it, so
``kubectl bridge version`` and ``--dry-run`` stay cheap.
"""
