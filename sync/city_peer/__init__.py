"""The reference city platform: stores events, serves appointments, publishes catalog, config,
directory and cloud status. For integration tests and demos, not a production cloud."""
