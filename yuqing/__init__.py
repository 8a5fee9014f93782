"""Yuqing composition root: settings, CLI, demo."""
