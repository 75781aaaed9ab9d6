# Two commands do everything: `make demo` and `make test`. Both create or update .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATASETS ?= ../shared/datasets
HOST   ?= 127.0.0.1
PORT   ?= 8000
export OPENBLAS_NUM_THREADS := 1

.PHONY: install browser fonts demo serve retrain test lint pytest bench bench-recs clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Page tests drive Debian's headless Chromium through chromedriver (no browser download).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "NOTICE: chromium/chromedriver missing and not root: browser tests will be skipped"; fi; \
	fi

# Fonts from Debian, used where present (wrapped/assets/fonts/README.md): Noto Color Emoji
# for emoji on the cards (10 MB, too big to ship with the cards' other fonts), and a font
# with Chinese, Japanese and Korean for the story in Chromium (found through fontconfig):
# WenQuanYi Micro Hei where the host has none.
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
CJK_LANGS := zh-cn ja ko
fonts:
	@pkgs=""; [ -f $(EMOJI_FONT) ] || pkgs=fonts-noto-color-emoji; \
	for lang in $(CJK_LANGS); do fc-list ":lang=$$lang" family 2>/dev/null | grep -q . || cjk=1; done; \
	[ -z "$$cjk" ] || pkgs="$$pkgs fonts-wqy-microhei"; \
	if [ -n "$$pkgs" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs >/dev/null; \
	  else echo "NOTICE: not root, $$pkgs not installed: cards show emoji as boxes, and the font tests fail"; fi; \
	fi

# Real exports from $(DATASETS) when present (named after the people who published them),
# 500 synthetic listeners (so comparisons and recommendations have a population) and the
# bundled sample; re-running stores nothing twice.
demo: install fonts
	$(BIN)/encore db upgrade
	@if [ -d "$(DATASETS)" ]; then \
	  $(BIN)/encore import spotify "$(DATASETS)/spotify-extended-efrrowini" --user efrrowini && \
	  $(BIN)/encore import spotify "$(DATASETS)/spotify-endsong-candidlyred" --user candidlyred && \
	  $(BIN)/encore import spotify "$(DATASETS)/spotify-account-streaminghistory-averydata" --user averydata && \
	  $(BIN)/encore import lastfm "$(DATASETS)/lastfm-scrobbles-sachawheeler" --user sachawheeler; \
	else echo "no $(DATASETS): demo runs on synthetic listeners and the bundled sample"; fi
	$(BIN)/encore data synth --users 500 --events 150000 --start 2025-01-01 --end 2026-01-01 --seed 1
	$(BIN)/encore data sample
	$(BIN)/encore retrain --model encore --promote auto
	@echo "Encore on http://$(HOST):$(PORT)  (API docs at /docs)"
	@echo "admin API key (send as Authorization: Bearer ...): $$($(BIN)/encore keys create --scope admin --name demo --quiet)"
	@echo "a listener's Wrapped, signed in: $$($(BIN)/encore users token synth-000001 --base-url http://$(HOST):$(PORT) --next /v1/users/synth-000001/wrapped/2025/story)"
	$(BIN)/encore serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/encore serve --host $(HOST) --port $(PORT)

retrain: install
	$(BIN)/encore retrain --model encore --promote auto

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# Two test processes, one per core here (PYTEST_WORKERS=auto uses every core); a test
# file's tests may run in either, so no test may rely on another's leftovers.
PYTEST_WORKERS ?= 2
pytest: install browser fonts
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

# Lint and the suite run side by side (the suite waits on servers, browsers and databases
# much of the time); each one's output is printed whole when it ends. Both must pass.
test: install browser fonts
	$(MAKE) --no-print-directory -j2 --output-sync=target lint pytest

bench: install
	$(BIN)/python bench/ingest.py

# The API reference is generated from the app's OpenAPI schema (a test fails while it is stale).
docs: install
	$(BIN)/encore openapi --markdown > docs/api.md
# Serving throughput vs. a trivial endpoint with wrk (Debian's package, installed when
# missing). RECS_DB must hold an active model whose artifacts are under RECS_MODELS.
RECS_DB ?= sqlite:///./encore.db
RECS_MODELS ?= artifacts/models
bench-recs: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  { echo "error: wrk missing: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/recs_serve.py --database $(RECS_DB) --models $(RECS_MODELS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache encore.db encore.db-wal encore.db-shm artifacts
