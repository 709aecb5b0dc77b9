"""Outgoing webhooks: endpoints, the transactional outbox, the dispatcher that signs and POSTs."""
