"""One module per card: a typed result and the pure function that computes it from a
:class:`wrapped.context.Context`. :mod:`wrapped.registry` lists them in report order."""
