"""What /readyz and /metrics read from the store: readiness, and the depths of the work queues."""
