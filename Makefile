# Two commands do all the set-up: `make demo` and `make test`. `make deb` builds the Debian
# package (no virtualenv needed); `sudo make test-install` installs it here, uses it, purges it.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.bootstrapped

.PHONY: demo test test-fast bench clean deb test-install

$(STAMP): pyproject.toml scripts/bootstrap
	sh scripts/bootstrap
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/antirelou demo --data demo-data

# Everything: lint, format, the fast unit tests, then the end-to-end suites on the simulated dongle.
test: $(STAMP)
	$(PYTHON) -m ruff check antirelou tests bench
	$(PYTHON) -m ruff format --check antirelou tests bench
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/unit tests/e2e

# The edit loop: pure logic only (policy, config, codec, store, stats), a few seconds.
test-fast: $(STAMP)
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/unit

bench: $(STAMP)
	$(PYTHON) bench/drain.py

deb:
	sh scripts/build-deb

# Root only: really installs dist/antirelou_*_all.deb on this machine, then purges it.
test-install: deb
	sh scripts/test-install

clean:
	rm -rf $(VENV) demo-data build dist *.egg-info
