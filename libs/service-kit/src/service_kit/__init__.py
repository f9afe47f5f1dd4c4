"""What every Trust Portal service needs once: settings, logs, traces, broker, Mongo, idempotency."""
