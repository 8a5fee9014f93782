"""Incidents: one per case, following the playbook stages, with a persisted 30-minute report deadline."""
