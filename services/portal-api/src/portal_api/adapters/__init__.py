"""The portal's adapters: one module per technology, mapping only."""
