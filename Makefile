# Two commands do all the set-up: `make demo` and `make test`.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.bootstrapped

.PHONY: demo test lint bench clean

$(STAMP): setup.cfg pyproject.toml scripts/bootstrap
	sh scripts/bootstrap
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/antirelou demo --data demo-data

test: $(STAMP)
	$(PYTHON) -m ruff check antirelou tests bench
	$(PYTHON) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(PYTHON) bench/drain.py

clean:
	rm -rf $(VENV) demo-data build *.egg-info
