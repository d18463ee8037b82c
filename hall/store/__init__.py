"""The hall's SQLite store: the event log and the tables the screens read."""
