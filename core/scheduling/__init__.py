"""Scheduled campaigns: recurrence rules, schedules, runs and event triggers."""
