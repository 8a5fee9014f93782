"""Briefings (舆情专报, 日报/周报, 研判): reports built from the mention store and the workflow store, as HTML
and PDF, on demand and on a schedule. Reads both stores; writes only its own outbox rows and cursors."""
