"""Helpers shared by the test folders: fixture builders, a loopback HTTP server, small
models, and the Snakemake runner of the workflow tests.

pyproject.toml's `[tool.pytest.ini_options] pythonpath = ["tests"]` puts tests/ on the path,
so every test and conftest imports them the same way: `from helpers.httpserver import ...`.
"""
