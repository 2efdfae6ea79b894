"""Rounds: scheduling software for medical practices."""
