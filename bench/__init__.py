"""The benchmark of the monthly cycle (`make bench`): see bench/__main__.py and bench/results.md."""
