"""Experiments on the Barrios model: scenario files, runs, analyses and the command line."""
