"""A tiny local Inspect task for the offline tests of ``safetywashing run`` (answered by tests/standin_server.py)."""

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate

N_ITEMS = 12


@task
def standin_probe() -> Task:
    return Task(
        dataset=[Sample(input=f"Item {i}: reply with the word ALPHA.", target="ALPHA", id=i) for i in range(N_ITEMS)],
        solver=generate(),
        scorer=match(),
    )
