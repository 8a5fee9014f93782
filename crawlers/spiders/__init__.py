"""Spiders. One generic spider reads any list → thread board from its source definition."""
