"""Change notifications: subscriptions (POST /subscriptions), the validation of their endpoints,
the dispatcher that POSTs what the durable notification queue holds (store/notification_queue.py),
and rich notifications' encrypted resource data."""
