"""Repositories: they query and flush; the unit of work commits."""
