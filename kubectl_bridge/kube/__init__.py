"""Everything that talks to a Kubernetes API server.

This package is the only code that speaks HTTP to the API (``transport``,
``api``, ``exec``), with our own lean client: kubeconfig and credentials
(``config``, ``kubeconfig``, ``credentials``), REST over kept-alive HTTPS,
and exec over websocket framing of our own.  Modules that need none of it
(``ship``, the pure manifest builder in ``debugpod``) import none of it, so
``kubectl bridge version`` and ``--dry-run`` stay cheap.
"""
