"""The simulator's domain: recipients there are answered by graphpost's own simulated mail server
(delivery/simulator.py), never by the relay, in capture and relay mode alike, so that a test can ask
for a delivery, a bounce, a delay or an automatic reply by address alone (moto's idea, for mail).

`.test` is reserved for testing (RFC 6761 §6.2): no real mailbox can have an address there, so
nothing meant for a person is ever swallowed by the simulator. This is the one place that names
the domain."""

from __future__ import annotations

SIMULATOR_DOMAIN = "simulator.graphpost.test"


def is_simulated(address: str) -> bool:
    """Whether this recipient is one of the simulator's (domains compare case-insensitively)."""
    return address.rpartition("@")[2].lower() == SIMULATOR_DOMAIN
