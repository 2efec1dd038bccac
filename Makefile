# `make run` and `make test` are the README's two commands; everything they need is installed here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# torch first, from the pinned CPU wheel: a bare `torch` requirement would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,milvus]'
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the end-to-end browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/councilkg ingest corpus --data $(DATA)
	$(BIN)/councilkg serve --data $(DATA) --host $(HOST) --port $(PORT)

test: install browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/councilkg bench

clean:
	rm -rf $(VENV) $(DATA) build *.egg-info
