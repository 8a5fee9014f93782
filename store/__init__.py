"""Stores: mentions (documents to search and aggregate) and workflow state (incidents, deliveries, audit)."""
