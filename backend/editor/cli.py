"""`python -m backend nlu ...`: the editors' console operations from a shell.

    status                                the deployed model, trainings, deployments
    add INTENT LINE --as USER             add an example (annotated line)
    delete INTENT NUMBER --as USER        delete example NUMBER (1-based, as listed)
    train --as USER                       queue a training of the data's current commit
    deploy MODEL_ID --as USER             deploy through the gate (exit 1 when refused)
    rollback --as USER                    serve the model deployed before again

USER must be an active console person with the editor role: the same checks,
commits and audit records as the console's.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, List

from backend import people
from backend.editor import deployments, trainings
from backend.editor.data_repo import Author, DataRepo
from backend.settings import BackendSettings
from lapor.db import create_engine
from lapor.nlu import gate
from lapor.nlu.checks import Change
from lapor.nlu.examples import parse_example


def add_parser(commands: Any) -> None:
    nlu = commands.add_parser("nlu", help="the content editors' tool (docs/panduan-editor.md)")
    actions = nlu.add_subparsers(dest="nlu_command", required=True)
    actions.add_parser("status", help="the deployed model, trainings and deployments")
    add = actions.add_parser("add", help="add a training example")
    add.add_argument("intent")
    add.add_argument("line", help='annotated, e.g. "lampu [jl. veteran](location) mati"')
    delete = actions.add_parser("delete", help="delete a training example")
    delete.add_argument("intent")
    delete.add_argument("number", type=int, help="1-based, as the console lists them")
    actions.add_parser("train", help="queue a training of the current data")
    deploy = actions.add_parser("deploy", help="deploy a trained model through the gate")
    deploy.add_argument("model_id", type=int)
    actions.add_parser("rollback", help="serve the previously deployed model again")
    for action in (add, delete, deploy):
        action.add_argument("--as", dest="actor", required=True, help="an editor's username")
    for name in ("train", "rollback"):
        actions.choices[name].add_argument("--as", dest="actor", required=True)


def run(settings: BackendSettings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))


async def _run(settings: BackendSettings, args: argparse.Namespace) -> int:
    engine = create_engine(settings.database_url)
    try:
        if args.nlu_command == "status":
            return await _status(engine)
        person = await people.person_by_name(engine, args.actor)
        if person is None or not person.active or not person.has("editor"):
            print(f"{args.actor} is not an active console person with the editor role")
            return 2
        repo = DataRepo(settings.nlu_data_repo)
        return await _act(settings, engine, repo, person, args)
    finally:
        await engine.dispose()


async def _act(
    settings: BackendSettings, engine: Any, repo: DataRepo, person: Any, args: argparse.Namespace
) -> int:
    author = Author(person.username, person.display_name)
    command = args.nlu_command
    if command in ("add", "delete"):
        if command == "add":
            change = Change(args.intent, None, parse_example(args.line))
            message = f"Tambah contoh ke {args.intent}"
        else:
            change = Change(args.intent, args.number - 1, None)
            message = f"Hapus contoh {args.number} dari {args.intent}"
        saved = await repo.save_async([change], author, message)
        for problem in saved.problems:
            print(f"refused: {problem.message}")
        if not saved.ok:
            return 1
        async with engine.begin() as conn:
            detail = {"intent": args.intent, "commit": saved.commit, "via": "cli"}
            action = "nlu.example.add" if command == "add" else "nlu.example.delete"
            await people.audit(conn, person.username, action, "nlu_example", args.intent, detail)
        print(f"saved as commit {saved.commit}")
        return 0
    try:
        if command == "train":
            commit = await asyncio.to_thread(repo.head)
            print(f"training #{await trainings.request(engine, commit, person.username)} queued")
        elif command == "deploy":
            floors = gate.Floors(settings.gate_emergency_recall, settings.gate_accuracy_margin)
            outcome = await deployments.deploy(engine, args.model_id, person.username, floors)
            for reason in outcome.reasons:
                print(f"refused: {reason}")
            print(f"model #{args.model_id} deployed" if outcome.deployed else "not deployed")
            return 0 if outcome.deployed else 1
        else:
            print(f"model #{await deployments.rollback(engine, person.username)} rolled back to")
    except (trainings.TrainingError, deployments.DeployError) as exc:
        print(f"refused: {exc}")
        return 1
    return 0


async def _status(engine: Any) -> int:
    current = await deployments.current(engine)
    if current is None:
        print("deployed: none")
    else:
        overall = current.figures["overall"]
        print(
            f"deployed: model #{current.id} {current.filename} sha256 {current.sha256[:12]}; "
            f"intent accuracy {overall['intent_accuracy']:.3f}, "
            f"emergency recall {overall['emergency_recall']:.3f}"
        )
    for training in await trainings.recent(engine, 10):
        model = f", model #{training.model_id}" if training.model_id else ""
        print(
            f"training #{training.id} {training.state} commit {training.commit[:10]} "
            f"{training.progress:.0%} {training.stage or ''}{model}"
        )
    for deployment in await deployments.history(engine, 10):
        lines: List[str] = [f"{deployment.at:%Y-%m-%d %H:%M} {deployment.action} model "]
        lines.append(f"#{deployment.model_id} by {deployment.actor}")
        print("".join(lines) + "".join(f"\n    {r}" for r in deployment.reasons))
    return 0
