"""What every Trust Portal service needs once; each module declares its public names in `__all__`.

Run and wire: settings, logging, tracing, serving, health, periodic. Kafka: broker, dead_letters,
decoding, publishing, lag. Stores: mongo, ports, caching. Pure helpers: folds, quantiles, periods, csvfiles.
Tests only: testing (in-memory stores, recording publishers, a fake clock, the process launcher).
"""

__all__ = [
    "broker",
    "caching",
    "csvfiles",
    "dead_letters",
    "decoding",
    "errors",
    "folds",
    "health",
    "lag",
    "lifecycle",
    "logging",
    "mongo",
    "periodic",
    "periods",
    "ports",
    "publishing",
    "quantiles",
    "serving",
    "settings",
    "testing",
    "tracing",
]
