"""Imported by the parser processes' fork server before it forks any worker: builds the
scorer once there, so every worker starts with it already in memory, shared with the others
(copy on write) instead of each building its own, and a worker replaced after
``TASKS_PER_WORKER`` tasks is ready at once.

``ParsePool`` names the rules in the environment (``RULES_ENV``: a pickle file it wrote)
before the fork server starts. Nothing here may raise: an exception would end the fork
server, and with it every upload; a worker whose rules differ builds its own scorer.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle

RULES_ENV = "KAOHE_WORKER_RULES"

preloaded: tuple[object, object] | None = None  # (ScoringRules, Scorer)


def _preload() -> None:
    global preloaded
    path = os.environ.get(RULES_ENV)
    if not path:
        return
    try:
        with open(path, "rb") as f:
            rules = pickle.load(f)
        from scoring.engine import Scorer

        preloaded = (rules, Scorer(rules))
        gc.collect()
        gc.freeze()  # the workers' collections then leave these pages unwritten, so shared
    except Exception:  # the workers build their own
        logging.getLogger(__name__).warning("the scorer could not be built before forking", exc_info=True)


_preload()
