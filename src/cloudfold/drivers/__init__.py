"""Cloud drivers: one package or module per provider, registered by name in `registry`."""
