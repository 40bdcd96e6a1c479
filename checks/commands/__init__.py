"""One module per `apmdm` sub-command; each exposes ``register(subparsers)``."""
