"""The kiosk's Qt Widgets views: thin, drawing ``kiosk.model.KioskModel`` and calling it."""
