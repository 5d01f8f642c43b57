"""The directory: tenants with their accepted domains, users and app registrations."""
