"""Change notifications: subscriptions, their webhook deliveries, and rich notifications' resource data."""
