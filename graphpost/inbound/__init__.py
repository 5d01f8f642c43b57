"""Inbound SMTP: a listener that takes mail for the tenants' accepted domains into local Inboxes."""
