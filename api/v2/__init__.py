"""The v2 Campaign API (v2-campaign-api.md): Go-style requests and answers under /v2/."""
