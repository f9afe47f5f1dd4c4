"""The board's adapters, one module per technology."""
