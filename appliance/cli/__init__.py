"""The `hall` command."""
