"""Bearer tokens: signing keys, issue and verification, permissions."""
