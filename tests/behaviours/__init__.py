"""Behaviour suites run twice: on fakes (unit, FastStream's TestKafkaBroker) and on the real stack (integration)."""
