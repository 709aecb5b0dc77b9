"""The tenant Campaigns API (tenant-campaigns-api.md) under /campaigns: routes, JSON, errors."""
