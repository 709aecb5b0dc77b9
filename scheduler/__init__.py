"""The timer: APScheduler fires what the database says is due."""
