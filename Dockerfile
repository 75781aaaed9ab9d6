# syntax=docker/dockerfile:1
# Encore's image: `docker build -t encore .`, then `docker compose up` (docker-compose.yml).
#
# Two stages. The first builds Encore and every dependency into a virtualenv (all of them
# ship manylinux wheels that bundle their native libraries: OpenBLAS, libgomp, libpq, libjpeg),
# so the runtime stage needs no compiler and no apt packages, only that virtualenv.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/encore
# Dependencies first, so a code-only change reuses this layer.
COPY pyproject.toml README.md ./
RUN mkdir models data recsys wrapped service \
    && /opt/encore/bin/pip install . \
    && /opt/encore/bin/pip uninstall --yes encore
COPY models ./models
COPY data ./data
COPY recsys ./recsys
COPY wrapped ./wrapped
COPY service ./service
RUN /opt/encore/bin/pip install --no-deps . \
    && /opt/encore/bin/encore --help > /dev/null

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Encore" \
      org.opencontainers.image.description="Self-hostable personalization service: listening history, recommendations and Wrapped" \
      org.opencontainers.image.licenses="MIT"
# One BLAS thread per process: implicit's ALS parallelises itself, and the API runs one
# process per worker; more threads only oversubscribe the cores.
ENV PATH=/opt/encore/bin:$PATH \
    OPENBLAS_NUM_THREADS=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENCORE_HOST=0.0.0.0 \
    ENCORE_PORT=8000 \
    ENCORE_WORKERS=2 \
    ENCORE_DATABASE_URL=sqlite:////var/lib/encore/encore.db \
    ENCORE_MODELS__DIR=/var/lib/encore/artifacts/models \
    ENCORE_IMPORTS__UPLOAD_DIR=/var/lib/encore/uploads
RUN groupadd --system --gid 10001 encore \
    && useradd --system --uid 10001 --gid encore --home-dir /var/lib/encore --create-home encore \
    && mkdir -p /var/lib/encore/artifacts/models /var/lib/encore/uploads \
    && chown -R 10001:10001 /var/lib/encore
COPY --from=build /opt/encore /opt/encore
USER 10001:10001
WORKDIR /var/lib/encore
EXPOSE 8000
# /healthz answers while the process is up; /readyz (database and schema) is for the load
# balancer, which should stop sending traffic to a replica whose database is away.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('ENCORE_PORT', '8000')}/healthz\", timeout=2)"]
ENTRYPOINT ["encore"]
CMD ["serve"]
