"""Cyclic garbage collector settings for a long-running `graphpost serve` process, applied once the
app is built, so that collections cost the event loop little.

Python's collector walks every object of a generation it collects. By the time the app serves,
~120,000 objects (modules, pydantic schemas, SQLAlchemy tables, FastAPI routes) live in the
oldest generation, and each full collection walked them all: ~85 ms of the event loop, every
few thousand sendMails, while every client waited (bench/README.md, "Where the loop's time goes").
None of them will ever be garbage, so they are frozen (gc.freeze: moved to a generation that is
never collected). And a request's objects are freed by their reference counts as soon as it is
answered, so collecting the youngest generation every 700 allocations (the default) mostly
walked objects still in use; every 10,000 bounds the cyclic garbage as well, at a fraction of
the walks. `serve` applies both (server.run_api); an app built by other code (the tests, the
pytest plugin's in-process server) keeps Python's defaults."""

from __future__ import annotations

import gc

# Allocations (less deallocations) of container objects between two collections of the youngest
# generation; the older generations keep their defaults (each collected after 10 of the one below).
YOUNGEST_THRESHOLD = 10_000


def configure() -> None:
    """Freeze what exists now (the app, built) and space out young collections."""
    gc.collect()  # what start-up left as garbage goes now, not into the frozen generation
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, middle, oldest)
