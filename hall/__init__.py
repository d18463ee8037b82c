"""The hall appliance: queue core, store and the `hall` command."""

__version__ = "0.1.0"
