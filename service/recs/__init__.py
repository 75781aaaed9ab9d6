"""Serving recommendations: what a server holds in memory next to a model, and the lists.

- :mod:`.catalog`: item and artist metadata in the model's item order, loaded once per
  model version, and the business filters over it;
- :mod:`.index`: the served version with every known listener's top candidates
  precomputed, so a list for a known listener costs no database round trip;
- :mod:`.fresh`: listeners with plays newer than the model, folded in between retrains;
- :mod:`.lists`: user and seeded lists; :mod:`.similar`: items, artists and listeners like
  one; :mod:`.query`: the user list's query string; :mod:`.respond`: their JSON;
- :mod:`.served_log`: the buffer that records every served list in batches.
"""
