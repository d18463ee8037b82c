"""The kiosk role."""
