"""slsa-watch's adapters: one module per technology, mapping only."""
