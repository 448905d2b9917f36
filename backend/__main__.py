"""Backend command line: `python -m backend {serve,migrate,issue-key,dev-keys,notices}`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import List

from backend import keys, migrate, notify
from backend.config import ConfigError, load_settings
from lapor.catalogue import load_catalogue
from lapor.db import create_engine

# Known keys for development only (named in the README); never in production.
DEV_KEYS = {"admin": "dev-admin-key"}


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP server")
    commands.add_parser("migrate", help="upgrade the database schema to the latest revision")
    issue = commands.add_parser("issue-key", help="issue an API key for a department")
    issue.add_argument("department", help="department code from data/services.yml, or 'admin'")
    issue.add_argument("--label", help="who holds the key, e.g. 'Dishub - bidang PJU'")
    commands.add_parser("dev-keys", help="create the development keys (not in production)")
    commands.add_parser("notices", help="list status notices that could not be delivered")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate.upgrade(settings.database_url)
        return 0
    if args.command == "issue-key":
        return asyncio.run(
            _issue(settings.database_url, settings.services_file, args.department, args.label)
        )
    if args.command == "dev-keys":
        if settings.production:
            print("dev-keys is refused in production", file=sys.stderr)
            return 2
        return asyncio.run(_dev_keys(settings.database_url, settings.services_file))
    if args.command == "notices":
        return asyncio.run(_notices(settings.database_url))
    return _serve()


def _serve() -> int:
    from backend.app import create_app

    settings = load_settings()
    app = create_app(settings)
    print(f"backend: http://localhost:{settings.port}/open311/v2/services.json", flush=True)
    app.run(host=settings.host, port=settings.port, workers=settings.workers, access_log=False)
    return 0


async def _issue(database_url: str, services_file: Path, department: str, label: str | None) -> int:
    departments = load_catalogue(services_file).departments
    if department != keys.ADMIN and department not in departments:
        known = ", ".join(sorted(departments))
        print(f"unknown department {department!r}; known: {known}, admin", file=sys.stderr)
        return 2
    engine = create_engine(database_url)
    try:
        key = await keys.issue_key(engine, department, label)
    finally:
        await engine.dispose()
    print(key)
    return 0


async def _dev_keys(database_url: str, services_file: Path) -> int:
    departments = [*load_catalogue(services_file).departments, keys.ADMIN]
    engine = create_engine(database_url)
    try:
        for department in departments:
            key = DEV_KEYS.get(department, f"dev-{department}-key")
            if not await keys.key_exists(engine, key):
                await keys.issue_key(engine, department, f"development ({department})", key=key)
    finally:
        await engine.dispose()
    return 0


async def _notices(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        rows = await notify.undelivered(engine)
    finally:
        await engine.dispose()
    if not rows:
        print("no undelivered status notices")
    for row in rows:
        print(
            f"#{row.id} {row.state} {row.service_request_id} -> {row.workflow_status} "
            f"queued {row.created_at:%Y-%m-%d %H:%M} attempts={row.attempts} "
            f"error={row.last_error or '-'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
