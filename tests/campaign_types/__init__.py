"""End-to-end and unit tests of the campaign types (one module per type)."""
