"""Outbound delivery: the outbox worker, the SMTP relay client, the retry schedule, bounces."""
