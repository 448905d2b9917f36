"""Open311 JSON representations of services and tickets."""

from __future__ import annotations

from typing import Any, Dict, List

from backend import workflow
from backend.tickets import Event, Ticket
from lapor.catalogue import Catalogue, Service
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


def ticket(ticket: Ticket, catalogue: Catalogue, wilayah: Wilayah) -> Dict[str, Any]:
    """Public view: nothing that identifies the reporter."""
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
