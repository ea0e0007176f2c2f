# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run test lint typecheck bench i18n clean

# Keyword specs of the translatable calls; bot/i18n/check.py KEYWORDS is their twin.
I18N_KEYWORDS := --no-default-keywords -k _ -k n_:1,2 -k p_:1c,2 -k N_
LOCALES := bot/i18n/locales

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/minbar run --config $(CONFIG)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check bot handlers scheduler tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/minbar bench outbox --messages 100000

# Extract the texts from the code, merge them into every catalogue, compile, then check.
i18n: $(VENV)/.installed-dev
	$(BIN)/pybabel extract $(I18N_KEYWORDS) --add-comments=Translators: --sort-output \
		--project=Minbar -o $(LOCALES)/minbar.pot bot handlers scheduler
	$(BIN)/pybabel update -D minbar -i $(LOCALES)/minbar.pot -d $(LOCALES) --ignore-obsolete
	$(BIN)/pybabel compile -D minbar -d $(LOCALES) --statistics
	$(BIN)/minbar i18n check

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
