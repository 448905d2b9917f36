"""Settings shared by the three processes."""

from __future__ import annotations

# Named in the README; only ever used outside production.
DEVELOPMENT_API_KEY = "dev-open311-key"
