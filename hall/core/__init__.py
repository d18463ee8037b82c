"""The queue core: the hall's rules as pure functions.

Nothing here does IO: no SQLite, no MQTT, no Qt, no serial port, no clock reading.
The store feeds the core the state and the time, and writes what it decides.
"""
