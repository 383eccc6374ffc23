"""One module per verb family; ``cli`` imports each only when it is used."""
