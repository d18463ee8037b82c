"""The display role."""
