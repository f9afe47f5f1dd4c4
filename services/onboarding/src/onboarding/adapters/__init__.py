"""Adapters: one module per technology, mapping only."""
