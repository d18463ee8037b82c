"""Device drivers of the hall appliance, each with a real driver and a shipped simulator."""
