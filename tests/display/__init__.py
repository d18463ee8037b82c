"""Tests of the waiting-hall display."""
