"""Rasa's graphs give the same results without dask's scheduler: each node
once, after what it needs, inputs passed on as given."""

from __future__ import annotations

from typing import Any, List, Tuple

import dask
import pytest

from bot.graph_runner import execute


class Node:
    """Like Rasa's GraphNode: called with its needs' (name, value) pairs."""

    def __init__(self, name: str, calls: List[str]) -> None:
        self.name = name
        self.calls = calls

    def __call__(self, *needs: Tuple[str, Any]) -> Tuple[str, Any]:
        self.calls.append(self.name)
        return self.name, [self.name, *(value for _, value in needs)]


def _graph(calls: List[str]) -> dict:
    unhashable = {"tracker": ["events"]}  # Rasa's inputs are often unhashable
    return {
        "message": ("message", unhashable),
        "tokenizer": (Node("tokenizer", calls), "message"),
        "featurizer": (Node("featurizer", calls), "tokenizer"),
        "classifier": (Node("classifier", calls), "featurizer", "tokenizer"),
        "entities": (Node("entities", calls), "tokenizer"),
        "output": (Node("output", calls), "classifier", "entities", "message"),
    }


@pytest.mark.parametrize("targets", [["output"], ["entities", "classifier"], ["message"]])
def test_results_are_dasks(targets: List[str]) -> None:
    ours: List[str] = []
    assert dict(execute(_graph(ours), targets)) == dict(dask.get(_graph([]), targets))
    assert len(ours) == len(set(ours))  # each node once, shared needs included


def test_the_same_nodes_run_on_a_minimal_graph() -> None:
    """Rasa culls its graph to the targets' needs first (minimal_graph_schema):
    then dask runs every node, and so does this."""
    ours: List[str] = []
    theirs: List[str] = []
    execute(_graph(ours), ["output"])
    dask.get(_graph(theirs), ["output"])
    assert sorted(ours) == sorted(theirs)


def test_a_node_runs_after_what_it_needs() -> None:
    calls: List[str] = []
    execute(_graph(calls), ["output"])
    assert calls.index("tokenizer") < calls.index("featurizer") < calls.index("classifier")
    assert calls[-1] == "output"


def test_a_nodes_error_reaches_the_caller() -> None:
    def broken(*_: Any) -> None:
        raise RuntimeError("rusak")

    with pytest.raises(RuntimeError, match="rusak"):
        execute({"a": (broken,)}, ["a"])
