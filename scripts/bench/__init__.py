"""Benchmarks: each module runs as a script (``.venv/bin/python scripts/bench/bench_worker.py --help``)
and prints a Markdown report for docs/BENCHMARKS.md."""
