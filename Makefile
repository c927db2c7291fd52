# The two commands of the README:
#   make quito   set everything up, run the Quito scenario, print its summary and plot
#   make test    set everything up and run the test suite
.PHONY: quito test bench

quito:
	./scripts/bootstrap.sh
	.venv/bin/barrios run scenarios/quito_2023_2025.toml

test:
	./scripts/bootstrap.sh
	./scripts/ensure_chromium.sh
	.venv/bin/python -m pytest

bench:
	./scripts/bootstrap.sh
	.venv/bin/python benchmarks/bench.py
