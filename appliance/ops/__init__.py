"""The technician's side of the appliance: provisioning, diagnostics (`hall doctor`),
sd_notify for the roles' systemd units, and the database migration run on upgrade."""
