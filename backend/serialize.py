"""Open311 JSON representations of services and tickets.

A ticket has two views. The staff view (`public=False`: the staff API, and Open311
clients that send the api_key) is the ticket as stored. The public view (the
default, for anyone) protects reporters, whose pin is often their home and whose
text often carries names, phone numbers and NIKs:

- `description` is null until staff verified the ticket for publication (the
  staff API's POST /api/v1/requests/<id>/publication); `address`, `address_id`
  and the photos (`media_url` null, `media_urls` empty) likewise;
- once verified, description and address are shown with phone numbers and NIKs
  masked (lapor.privacy.mask_text); staff's `status_notes` are always shown,
  masked the same way;
- `lat`/`long` are rounded to 3 decimals (about 110 m) unless staff marked the
  place public;
- `verified_datetime` tells clients whether (and since when) the text is public.
"""

from __future__ import annotations

from typing import Any, Dict, List

from backend import workflow
from backend.tickets import Event, Ticket
from lapor.catalogue import Catalogue, Service
from lapor.privacy import mask_text
from lapor.timeutil import WIB, isoformat
from lapor.wilayah import Wilayah


def service_summary(service: Service) -> Dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description,
        "metadata": bool(service.attributes),
        "type": "realtime",
        "keywords": ", ".join(service.keywords),
        "group": service.group,
        # Extension: who handles it and the target, for clients that show it.
        "agency_responsible": service.department.name,
        "sla_days": service.sla_days,
    }


def service_definition(service: Service) -> Dict[str, Any]:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": None,
                "order": order,
                "description": attribute.description,
                "values": [{"key": k, "name": v} for k, v in attribute.values],
            }
            for order, attribute in enumerate(service.attributes, start=1)
        ],
    }


# Decimals of a public coordinate unless the place is public: about 110 m, the
# street rather than the house.
PUBLIC_DECIMALS = 3


def ticket(
    ticket: Ticket, catalogue: Catalogue, wilayah: Wilayah, *, public: bool = True
) -> Dict[str, Any]:
    """The public view (see the module docstring), or with `public=False` the staff view.

    Neither carries the reporter's contact details.
    """
    view = _full(ticket, catalogue, wilayah)
    if not public:
        view["verified_by"] = ticket.verified_by
        view["place_public"] = ticket.place_public
        return view
    shown = ticket.verified
    view["description"] = mask_text(ticket.description) if shown else None
    view["address"] = mask_text(ticket.address) if shown and ticket.address else None
    view["address_id"] = ticket.address_id if shown else None
    view["status_notes"] = mask_text(ticket.status_notes) if ticket.status_notes else None
    if not ticket.place_public:
        view["lat"] = _rounded(ticket.lat)
        view["long"] = _rounded(ticket.long)
    if not shown:
        view["media_url"] = None
        view["media_urls"] = []
    return view


def _rounded(value: float | None) -> float | None:
    return round(value, PUBLIC_DECIMALS) if value is not None else None


def _full(ticket: Ticket, catalogue: Catalogue, wilayah: Wilayah) -> Dict[str, Any]:
    service = catalogue.service(ticket.service_code)
    department = catalogue.departments.get(ticket.agency_responsible)
    kelurahan = wilayah.by_code(ticket.kelurahan_code) if ticket.kelurahan_code else None
    return {
        "service_request_id": ticket.service_request_id,
        "status": ticket.status,
        "status_notes": ticket.status_notes,
        "service_name": service.name if service else ticket.service_code,
        "service_code": ticket.service_code,
        "description": ticket.description,
        "agency_responsible": department.name if department else ticket.agency_responsible,
        "service_notice": service_notice(ticket, catalogue),
        "requested_datetime": isoformat(ticket.requested_at),
        "updated_datetime": isoformat(ticket.updated_at),
        "expected_datetime": isoformat(ticket.expected_at),
        "address": ticket.address,
        "address_id": ticket.address_id,
        "zipcode": None,
        "lat": ticket.lat,
        "long": ticket.long,
        "media_url": ticket.media_urls[0] if ticket.media_urls else None,
        # Extensions.
        "media_urls": ticket.media_urls,
        "workflow_status": ticket.workflow_status,
        "workflow_status_label": workflow.label(ticket.workflow_status),
        "kelurahan_code": ticket.kelurahan_code,
        "kelurahan": kelurahan.name if kelurahan else None,
        "agency_code": ticket.agency_responsible,
        "verified_datetime": isoformat(ticket.verified_at),
    }


def created(ticket: Ticket, catalogue: Catalogue) -> List[Dict[str, Any]]:
    department = catalogue.departments.get(ticket.agency_responsible)
    return [
        {
            "service_request_id": ticket.service_request_id,
            "service_notice": service_notice(ticket, catalogue),
            "account_id": ticket.account_id,
            # Extensions the chatbot shows the citizen without a second call.
            "agency_responsible": department.name if department else ticket.agency_responsible,
            "expected_datetime": isoformat(ticket.expected_at),
        }
    ]


def service_notice(ticket: Ticket, catalogue: Catalogue) -> str:
    department = catalogue.departments.get(ticket.agency_responsible)
    name = department.name if department else ticket.agency_responsible
    due = ticket.expected_at.astimezone(WIB).date().isoformat()
    return f"Ditangani oleh {name}; target selesai {due}."


def event(item: Event) -> Dict[str, Any]:
    return {
        "workflow_status": item.workflow_status,
        "note": item.note,
        "actor": item.actor,
        "datetime": isoformat(item.created_at),
    }
