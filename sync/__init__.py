"""The sync role."""
