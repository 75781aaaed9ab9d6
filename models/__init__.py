"""The listening store: typed ORM models, migrations, catalog resolution and bulk ingest.

This is the only package that knows table layouts.
"""

import os

# Every Encore process imports this package before numpy: one BLAS thread per process,
# as implicit requires (it warns and runs slower otherwise).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
