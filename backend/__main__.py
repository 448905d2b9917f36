"""Backend command line:
`python -m backend {serve,migrate,issue-key,revoke-key,dev-keys,dev-users,notices,create-user,
set-phone,consume,purge,nlu}`.

Every command loads the settings once and, with APP_ENV=production, refuses to
run on development values or SQLite; `serve` also refuses while a development
department key still opens the staff API (`revoke-key` closes it).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path
from typing import List

from sqlalchemy.exc import SQLAlchemyError

from backend import dev_users, keys, migrate, notify, people
from backend.settings import BackendSettings
from lapor import logs
from lapor.catalogue import load_catalogue
from lapor.db import create_engine
from lapor.settings import ConfigError, development_department_key

logger = logging.getLogger(__name__)


def main(argv: List[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure("backend")
    try:
        settings = BackendSettings.load()
        settings.check_production()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate.upgrade(settings.database_url)
        return 0
    if args.command == "issue-key":
        return asyncio.run(_issue(settings, args.department, args.label))
    if args.command == "revoke-key":
        return asyncio.run(_revoke(settings, args.department, args.key))
    if args.command == "dev-keys":
        if settings.production:
            print("dev-keys is refused in production", file=sys.stderr)
            return 2
        return asyncio.run(_dev_keys(settings))
    if args.command == "dev-users":
        if settings.production:
            print("dev-users is refused in production", file=sys.stderr)
            return 2
        return asyncio.run(_dev_users(settings))
    if args.command == "notices":
        return asyncio.run(_notices(settings.database_url))
    if args.command == "create-user":
        return asyncio.run(_create_user(settings, args))
    if args.command == "set-phone":
        return asyncio.run(_set_phone(settings, args.username, args.phone))
    if args.command == "purge":
        return asyncio.run(_purge(settings, args.dry_run))
    if args.command == "nlu":
        from backend.editor import cli

        return cli.run(settings, args)
    if args.command == "consume":
        from backend.pipeline import consumer

        return consumer.run(settings, args.source or settings.pipeline_source)
    return _serve(settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the HTTP server")
    commands.add_parser("migrate", help="upgrade the database schema to the latest revision")
    issue = commands.add_parser("issue-key", help="issue an API key for a department")
    issue.add_argument("department", help="department code from data/services.yml, or 'admin'")
    issue.add_argument("--label", help="who holds the key, e.g. 'Dishub - bidang PJU'")
    revoke = commands.add_parser("revoke-key", help="revoke a department's keys, or one key")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("department", nargs="?", help="revoke every key of this department")
    which.add_argument("--key", help="revoke this one key (e.g. dev-admin-key)")
    commands.add_parser("dev-keys", help="create the development keys (not in production)")
    commands.add_parser("dev-users", help="create a console user per role (not in production)")
    commands.add_parser("notices", help="list status notices that could not be delivered")
    person = commands.add_parser("create-user", help="create a person of the city console")
    person.add_argument("username", help="3-64 of a-z, 0-9, '.', '_', '-'")
    person.add_argument(
        "--role", action="append", required=True, choices=list(people.ROLES), help="repeatable"
    )
    person.add_argument("--department", help="department code (staff and staff_head)")
    person.add_argument("--name", help="the name shown in the console")
    person.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    phone = commands.add_parser(
        "set-phone", help="the WhatsApp number a person's alerts (late tickets) go to"
    )
    phone.add_argument("username")
    phone.add_argument("phone", help="+62..., or '' to remove it")
    purge = commands.add_parser(
        "purge", help="delete or anonymise what is past its retention period (RETENTION_*)"
    )
    purge.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    consume = commands.add_parser(
        "consume", help="store Rasa's conversation events (the pipeline; docs/pipeline.md)"
    )
    consume.add_argument(
        "--source", choices=["sql", "pika"], help="Rasa's event broker (default: PIPELINE_SOURCE)"
    )
    from backend.editor import cli

    cli.add_parser(commands)
    return parser


def _serve(settings: BackendSettings) -> int:
    from backend.app import create_app

    if settings.production:
        try:
            left = asyncio.run(_valid_development_keys(settings))
        except (OSError, SQLAlchemyError) as exc:
            print(f"configuration error: DATABASE_URL cannot be read: {exc}", file=sys.stderr)
            return 2
        if left:
            print(
                "configuration error: APP_ENV=production refuses to start while development "
                f"department keys are valid: {', '.join(left)} (revoke each with "
                "`python -m backend revoke-key --key KEY`)",
                file=sys.stderr,
            )
            return 2
    settings.announce("backend")
    app = create_app(settings)
    logger.info("backend: http://localhost:%d/open311/v2/services.json", settings.port)
    app.run(host=settings.host, port=settings.port, workers=settings.workers, access_log=False)
    return 0


async def _issue(settings: BackendSettings, department: str, label: str | None) -> int:
    if not _known_department(settings.services_file, department):
        return 2
    engine = create_engine(settings.database_url)
    try:
        key = await keys.issue_key(engine, department, label)
    finally:
        await engine.dispose()
    print(key)
    return 0


async def _revoke(settings: BackendSettings, department: str | None, key: str | None) -> int:
    if department and not _known_department(settings.services_file, department):
        return 2
    engine = create_engine(settings.database_url)
    try:
        if key:
            revoked = await keys.revoke_key(engine, key)
        else:
            revoked = await keys.revoke_department(engine, str(department))
    finally:
        await engine.dispose()
    print(f"revoked {revoked} key(s)")
    # Nothing to revoke is an operator's mistake worth a non-zero exit in a script.
    return 0 if revoked else 1


def _known_department(services_file: Path, department: str) -> bool:
    departments = load_catalogue(services_file).departments
    if department == keys.ADMIN or department in departments:
        return True
    known = ", ".join(sorted(departments))
    print(f"unknown department {department!r}; known: {known}, admin", file=sys.stderr)
    return False


def _all_departments(settings: BackendSettings) -> List[str]:
    return [*load_catalogue(settings.services_file).departments, keys.ADMIN]


async def _valid_development_keys(settings: BackendSettings) -> List[str]:
    engine = create_engine(settings.database_url)
    try:
        return await keys.valid_development_keys(engine, _all_departments(settings))
    finally:
        await engine.dispose()


async def _dev_keys(settings: BackendSettings) -> int:
    engine = create_engine(settings.database_url)
    try:
        for department in _all_departments(settings):
            key = development_department_key(department)
            if not await keys.key_exists(engine, key):
                await keys.issue_key(engine, department, f"development ({department})", key=key)
    finally:
        await engine.dispose()
    return 0


async def _create_user(settings: BackendSettings, args: argparse.Namespace) -> int:
    if args.department and not _known_department(settings.services_file, args.department):
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    engine = create_engine(settings.database_url)
    try:
        person = await people.create_user(
            engine,
            args.username,
            password,
            args.role,
            display_name=args.name,
            department=args.department,
            actor="cli",
        )
    except people.PeopleError as exc:
        print(f"not created: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(f"created {person.username} ({', '.join(sorted(person.roles))})")
    return 0


async def _set_phone(settings: BackendSettings, username: str, phone: str) -> int:
    engine = create_engine(settings.database_url)
    try:
        await people.set_phone(engine, username, phone or None, actor="cli")
    except people.PeopleError as exc:
        print(f"not changed: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(f"{username}: alerts {'go to the number given' if phone else 'have no number'}")
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


async def _purge(settings: BackendSettings, dry_run: bool) -> int:
    from backend import retention

    engine = create_engine(settings.database_url)
    try:
        counts = await retention.purge(engine, settings, dry_run=dry_run)
    finally:
        await engine.dispose()
    verb = "would purge" if dry_run else "purged"
    for kind, count in counts.items():
        print(f"{verb} {kind}: {count}")
    return 0


async def _dev_users(settings: BackendSettings) -> int:
    engine = create_engine(settings.database_url)
    try:
        made = await dev_users.ensure(engine)
    finally:
        await engine.dispose()
    print(f"console users for development (password for all: {dev_users.DEV_PASSWORD}):")
    for user, new in made:
        roles = ", ".join(user.roles) + (f" ({user.department})" if user.department else "")
        print(f"  {user.username:<14} {roles}{'' if new else '  [existed]'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
