"""Alerting: rules open incidents from analysed mentions, the report-window clock, and notification delivery."""
