"""Recommendations: interactions, confidence, models behind one contract, offline evaluation.

Inside this package users and items are dense numpy indices; external ids are mapped at
the edge (:class:`recsys.interactions.IdMap`). OpenBLAS is pinned to one thread before
numpy or implicit can load it: implicit's own threads do the parallel work, and nested
BLAS threads only slow them down.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
