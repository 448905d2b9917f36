"""Parse and validate an Open311 POST /requests form into a NewTicket.

Every problem is collected, so a client fixes them all in one round trip; only
text that cannot be stored at all (NUL characters, backend/inputs.py) is refused
first, on its own.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from backend.errors import Open311Error
from backend.inputs import text_problem, text_problems
from backend.tickets import NewTicket
from lapor import channels, identity, mediaurls
from lapor.catalogue import Attribute, Catalogue, Service
from lapor.contact import ContactCipher, ContactError
from lapor.wilayah import Wilayah

MAX_DESCRIPTION = 4000
MAX_ADDRESS = 1000
MAX_MEDIA = 10
ATTRIBUTE_FIELD = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\](?P<multi>\[\])?$")
# Short fields: name -> maximum length (database column widths).
SHORT_FIELDS = {
    "email": 254,
    "device_id": 128,
    "account_id": 128,
    "first_name": 128,
    "last_name": 128,
    "phone": 32,
    "address_id": 128,
}

Form = Mapping[str, Sequence[str]]


# Not the request's content: the client's key (rotated between retries), and the
# reporter's sealed number, sealed anew each time (Fernet: a fresh IV), e.g. when
# another Rasa replica runs the confirming message again after the first died.
# The sender's pseudonym (account_id) still tells one reporter from another.
NOT_CONTENT = ("api_key", "contact_token")


def fingerprint(form: Form) -> str:
    """Identifies a request's content for idempotency."""
    items = sorted((k, list(v)) for k, v in form.items() if k not in NOT_CONTENT)
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()


def parse_new_ticket(
    form: Form,
    catalogue: Catalogue,
    wilayah: Wilayah,
    cipher: ContactCipher,
    backend_url: str,
) -> NewTicket:
    unstorable = text_problems(_fields(form))
    if unstorable:
        raise Open311Error(400, unstorable)
    problems: List[str] = []
    service = _service(form, catalogue, problems)
    description = _first(form, "description")
    if not description:
        problems.append("description is required")
    elif len(description) > MAX_DESCRIPTION:
        problems.append(f"description is longer than {MAX_DESCRIPTION} characters")
    lat, lon = _coordinates(form, problems)
    address = _first(form, "address_string")
    if address and len(address) > MAX_ADDRESS:
        problems.append(f"address_string is longer than {MAX_ADDRESS} characters")
    if lat is None and not address and not _first(form, "address_id"):
        problems.append("a location is required: lat and long, or address_string")
    kelurahan_code = _kelurahan(form, wilayah, lat, lon, problems)
    attributes = _attributes(form, service, problems, cipher) if service else {}
    media = _media(form, problems, backend_url)
    channel = _first(form, "channel") or "open311"
    if channel not in channels.TICKET_CHANNELS:
        problems.append(f"channel must be one of {sorted(channels.TICKET_CHANNELS)}")
    short = {name: _first(form, name) for name in SHORT_FIELDS}
    short["phone"] = short["phone"] or _opened_contact(form, problems, cipher)
    problems += [
        f"{name} is longer than {limit} characters"
        for name, limit in SHORT_FIELDS.items()
        if short[name] and len(short[name] or "") > limit
    ]
    if problems or service is None:
        raise Open311Error(400, problems)
    return NewTicket(
        service=service,
        description=description or "",
        channel=channel,
        address=address,
        lat=lat,
        long=lon,
        kelurahan_code=kelurahan_code,
        media_urls=media,
        attributes=attributes,
        **short,
    )


def _fields(form: Form) -> List[Tuple[str, str]]:
    """Every (name, value) of the form, and the names themselves."""
    fields: List[Tuple[str, str]] = []
    for name, values in form.items():
        label = name if text_problem(name, name) is None else "a field name"
        fields.append((label, name))
        fields += [(label, value) for value in values]
    return fields


def _opened_contact(form: Form, problems: List[str], cipher: ContactCipher) -> str | None:
    """A chat channel's sealed number (lapor/contact.py) -> the number."""
    token = _first(form, "contact_token")
    if not token:
        return None
    try:
        return cipher.open(token)
    except ContactError:
        problems.append("contact_token cannot be opened (is CONTACT_KEY the same everywhere?)")
        return None


def _first(form: Form, name: str) -> str | None:
    values = form.get(name) or []
    value = values[0].strip() if values else ""
    return value or None


def _service(form: Form, catalogue: Catalogue, problems: List[str]) -> Service | None:
    code = _first(form, "service_code")
    if not code:
        problems.append("service_code is required")
        return None
    service = catalogue.service(code)
    if service is None:
        problems.append(f"service_code {code!r} is not a known service")
    return service


def _coordinates(form: Form, problems: List[str]) -> Tuple[float | None, float | None]:
    raw_lat, raw_lon = _first(form, "lat"), _first(form, "long")
    if raw_lat is None and raw_lon is None:
        return None, None
    if raw_lat is None or raw_lon is None:
        problems.append("lat and long must be given together")
        return None, None
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        problems.append("lat and long must be decimal degrees")
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append("lat must be within -90..90 and long within -180..180")
        return None, None
    return lat, lon


def _kelurahan(
    form: Form,
    wilayah: Wilayah,
    lat: float | None,
    lon: float | None,
    problems: List[str],
) -> str | None:
    located = wilayah.locate(lat, lon) if lat is not None and lon is not None else None
    if lat is not None and lon is not None and located is None:
        problems.append("lat/long is outside Kota Kediri, the area this service covers")
    code = _first(form, "kelurahan_code")
    if code is None:
        return located.code if located else None
    if wilayah.by_code(code) is None:
        problems.append(f"kelurahan_code {code!r} is not a kelurahan of Kota Kediri")
        return None
    # The citizen's own choice wins over the pin: GPS on cheap phones drifts.
    return code


def _attributes(
    form: Form, service: Service, problems: List[str], cipher: ContactCipher
) -> Dict[str, Any]:
    given: Dict[str, List[str]] = {}
    for name, values in form.items():
        match = ATTRIBUTE_FIELD.match(name)
        if match:
            given.setdefault(match["code"], []).extend(v.strip() for v in values if v.strip())
    result: Dict[str, Any] = {}
    for code, values in given.items():
        attribute = service.attribute(code)
        if attribute is None:
            problems.append(f"attribute[{code}] is not an attribute of service {service.code!r}")
            continue
        if attribute.check == "nik":
            value: Any = _sealed_nik(attribute, values, problems, cipher)
        else:
            value = _attribute_value(attribute, values, problems)
        if value is not None:
            result[code] = value
    problems += [
        f"attribute[{a.code}] is required for service {service.code!r}"
        for a in service.attributes
        if a.required and a.code not in result
    ]
    return result


def _sealed_nik(
    attribute: Attribute, values: List[str], problems: List[str], cipher: ContactCipher
) -> Optional[Dict[str, str]]:
    """An NIK, sealed by the chat channel (or typed by another Open311 client),
    kept sealed: only the department's staff open it. Never echoed in errors."""
    if not values:
        return None
    given = values[0]
    try:
        digits = given if given.isdigit() else identity.open_number(given, cipher)
    except (ContactError, ValueError):
        problems.append(f"attribute[{attribute.code}] is not a sealed or plain NIK")
        return None
    if identity.nik_problem(digits):
        problems.append(f"attribute[{attribute.code}] is not a valid NIK")
        return None
    token = given if not given.isdigit() else cipher.seal_value(digits)
    return {"sealed": token, "last4": digits[-4:]}


def _attribute_value(attribute: Attribute, values: List[str], problems: List[str]) -> Any:
    if not values:
        return None
    where = f"attribute[{attribute.code}]"
    if attribute.datatype == "multivaluelist":
        unknown = [v for v in values if v not in attribute.value_keys]
        if unknown:
            problems.append(f"{where} has unknown values {unknown}")
        return values
    value = values[0]
    if attribute.datatype == "singlevaluelist" and value not in attribute.value_keys:
        problems.append(f"{where} must be one of {list(attribute.value_keys)}")
    if attribute.datatype == "number":
        try:
            return float(value)
        except ValueError:
            problems.append(f"{where} must be a number")
    if len(value) > MAX_DESCRIPTION:
        problems.append(f"{where} is longer than {MAX_DESCRIPTION} characters")
    return value


def _media(form: Form, problems: List[str], backend_url: str) -> Tuple[str, ...]:
    """Photos stored by this backend only (POST /api/v1/media): a link to anywhere
    else would have staff open a page an attacker chose."""
    urls = tuple(v.strip() for v in form.get("media_url") or [] if v.strip())
    if len(urls) > MAX_MEDIA:
        problems.append(f"at most {MAX_MEDIA} media_url values")
    problems += [
        f"media_url {u[:80]!r} must be a photo stored here ({backend_url}/media/<id>)"
        for u in urls
        if not mediaurls.is_stored_media(u, [backend_url])
    ]
    return urls
