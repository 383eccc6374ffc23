"""The seed's lab on one machine: real namespaces built from declarative specs."""
