"""Local Telegram Bot API emulator used by tests, benchmarks and the offline demo."""

from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.state import EmulatorState

__all__ = ["EmulatorConfig", "EmulatorState", "create_app"]
