"""Routes, one module per Graph resource. Each router is mounted under /v1.0 and /beta."""
