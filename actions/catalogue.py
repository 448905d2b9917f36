"""Complaint categories as the bot shows them (names from data/services.yml)."""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, Optional

from lapor.catalogue import Catalogue, load_catalogue
from lapor.paths import SERVICES_FILE

INTENT_PREFIX = "report_"


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue(SERVICES_FILE)


def category_of_intent(intent: Optional[str]) -> Optional[str]:
    """report_street_light -> street_light, when that is a service."""
    if not intent or not intent.startswith(INTENT_PREFIX):
        return None
    code = intent[len(INTENT_PREFIX) :]
    return code if catalogue().service(code) else None


def category_name(code: Optional[str]) -> str:
    service = catalogue().service(code or "")
    return service.name if service else "-"


def numbered_categories() -> Dict[str, str]:
    """'1' -> 'street_light', ... in the order of services.yml (the menu order)."""
    return {str(i): code for i, code in enumerate(catalogue().services, start=1)}
