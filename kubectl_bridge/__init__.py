"""kubectl-bridge: a pod's whole network path, from a laptop, in one command."""

__version__ = "0.1.0"
