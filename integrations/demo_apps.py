"""The demo's other apps (TimeTonic, TIMIFY, Time To Pet, PT Distinction), one module each.

`seed_demo` and `demo_info` loop over `DEMO_APPS`; each module (dotted path) provides

    KEY: str                                   # its key in demo_info's "sandboxes"
    def seed(workspace, user, ghl, site) -> str  # connection(s) + demo integration; idempotent;
                                               # returns a line for the seed's output
    def sandbox_info(site) -> dict             # the simulator's credentials, URLs, codes

Demo mode only (the sandbox app is installed); nothing here runs in production.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

DEMO_APPS: tuple[str, ...] = (
    "integrations.wizard.ptdistinction_demo",
    "integrations.wizard.timify_demo",
    "integrations.wizard.timetonic_demo",
    "integrations.wizard.timetopet_demo",
)


def modules() -> list[ModuleType]:
    return [import_module(path) for path in DEMO_APPS]
