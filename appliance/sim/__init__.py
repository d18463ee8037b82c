"""Simulations of a hall: a day of citizens and staff, in compressed time."""
