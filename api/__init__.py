"""The REST API (aiohttp): thin routes over core services."""
