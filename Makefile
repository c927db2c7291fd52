# The two commands of the README:
#   make quito   set everything up, run the Quito scenario, print its summary and plot
#   make test    set everything up and run the test suite
# Both on Python 3.12 in .venv; add PY=3.13 for Python 3.13, in its own venv (.venv-3.13).
.PHONY: quito test bench

PY := 3.12
VENV := $(if $(filter 3.12,$(PY)),.venv,.venv-$(PY))

quito:
	./scripts/bootstrap.sh $(PY) $(VENV)
	$(VENV)/bin/barrios run scenarios/quito_2023_2025.toml

test:
	./scripts/bootstrap.sh $(PY) $(VENV)
	./scripts/ensure_chromium.sh
	# Two workers, whole files each, the classroom test first (tests/conftest.py): it is
	# bound by the workshop server's one Python thread, so the rest runs beside it.
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

bench:
	./scripts/bootstrap.sh $(PY) $(VENV)
	$(VENV)/bin/python benchmarks/bench.py
