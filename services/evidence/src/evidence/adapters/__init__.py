"""The evidence service's adapters: one module per technology, mapping only."""
