# Conveniences over setup.sh (the README's commands work without make).
.PHONY: setup run test bench lint format rulegraph
setup:
	bash setup.sh
run:
	bash setup.sh run
test:
	bash setup.sh test
bench:
	bash setup.sh bench
lint:
	.venv/bin/ruff check src tests workflow && .venv/bin/ruff format --check src tests workflow
	.venv/bin/snakemake --lint && .venv/bin/snakefmt --check .
format:
	.venv/bin/ruff format src tests workflow && .venv/bin/snakefmt .
rulegraph:
	.venv/bin/python -m domrand.tools.docs
