"""Rasa's model graph run without dask's scheduler.

Rasa runs its model as a graph: the NLU pipeline for every message, and the
policies for every prediction (three or more a turn). Its DaskGraphRunner
hands each run to `dask.get`, which orders and schedules the graph afresh
every time: under load 14% of the Rasa server's time went to that
scheduling (docs/performance.md), for graphs of a dozen nodes run one after
another on one thread. `install()` runs the same graph, the same way (each
node once, after the nodes it needs, inputs as given), with a plain
depth-first walk; formatting the inputs for a debug line nobody reads is
skipped too.

Wrapped once, at start-up of `python -m bot` (bot/__main__.py), never on import.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from bot import patching

logger = logging.getLogger("rasa.engine.runner.dask")


def execute(graph: Dict[Text, Any], targets: Sequence[Text]) -> List[Any]:
    """What `dask.get(graph, targets)` returns for Rasa's graphs: a task is a
    tuple of a callable and the names of the tasks whose results it takes;
    anything else is data, passed on as it is."""
    results: Dict[Text, Any] = {}

    def value(key: Text) -> Any:
        if key in results:
            return results[key]
        task = graph[key]
        if isinstance(task, tuple) and task and callable(task[0]):
            arguments = [value(a) if isinstance(a, str) and a in graph else a for a in task[1:]]
            result = task[0](*arguments)
        else:
            result = task
        results[key] = result
        return result

    return [value(target) for target in targets]


def run(
    self: DaskGraphRunner,
    inputs: Optional[Dict[Text, Any]] = None,
    targets: Optional[List[Text]] = None,
) -> Dict[Text, Any]:
    """DaskGraphRunner.run with `execute` in place of dask's scheduler."""
    run_targets = targets if targets else self._graph_schema.target_names
    minimal_schema = self._graph_schema.minimal_graph_schema(run_targets)
    run_graph = self._build_dask_graph(minimal_schema)
    if inputs:
        self._add_inputs_to_graph(inputs, run_graph)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(f"Running graph with inputs: {inputs}, targets: {targets}.")
    try:
        return dict(execute(run_graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def install() -> None:
    """Replaces DaskGraphRunner.run."""
    patching.wrap(DaskGraphRunner, "run", lambda _rasas: run)
