"""Notification delivery through Apprise: an outbox of deliveries, every attempt recorded, channel fallback."""
