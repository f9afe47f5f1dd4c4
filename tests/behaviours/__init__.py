"""Behaviour suites, each run by a unit test on fakes and by an integration test on the real Kafka and FerretDB."""
