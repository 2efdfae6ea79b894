"""Dramatiq actors (take ids, call services) and the periodic outbox sweeper."""
