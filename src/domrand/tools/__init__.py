"""Developer tools run by hand, never by the workflow: benchmarks (bench), the wall-time
projection of a run (projection), the README's results block (readme_results) and its
rule graph (docs). Each is ``python -m domrand.tools.<name>``."""
