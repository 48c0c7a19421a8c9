"""Alertmanager configuration of mlpulse and the tools that derive from it."""
