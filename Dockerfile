# syntax=docker/dockerfile:1
# Multi-stage: build a wheel-installed virtualenv, then copy it into a slim runtime image.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY models ./models
COPY data ./data
COPY recsys ./recsys
COPY wrapped ./wrapped
COPY service ./service
RUN python -m venv /opt/encore && /opt/encore/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/encore/bin:$PATH \
    OPENBLAS_NUM_THREADS=1 \
    PYTHONUNBUFFERED=1 \
    ENCORE_HOST=0.0.0.0 \
    ENCORE_PORT=8000 \
    ENCORE_DATABASE_URL=sqlite:////var/lib/encore/encore.db
RUN useradd --system --create-home --home-dir /var/lib/encore encore
COPY --from=build /opt/encore /opt/encore
USER encore
WORKDIR /var/lib/encore
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["encore", "serve"]
