"""References between records: a child's parent id, translated through the parent's link.

A mapping rule or an operation parameter may say `"ref": "<object type>"`:

    {"target": "contact_id", "source": "trigger.contactId", "ref": "contact"}
    params: {"contactId": {"source": "trigger.contact_id", "ref": "contact"}}

The value read at `source` is an id in the flow's source app; what is written is the id
of the record linked to it in the step's app. Another app's id is never sent as is: when
the parent has no link yet, the parent is synced first, in the same run, by the flow of
the integration that syncs that object type between the same two apps (its calls are
recorded as their own run steps); when no flow does, the run fails and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.connectors.base import ConnectorError, ErrorKind
from integrations.models import Flow, Run, Step
from integrations.sync import links, mapping

# (parent flow, its record step, the parent record as the source app has it) → None
SyncParent = Callable[[Flow, Step, dict[str, Any]], None]


class ParentMissing(ConnectorError):
    """The parent a child refers to cannot be linked: the message says why and what to do."""


class Resolver:
    """Binds one step's references for one run (each id looked up once)."""

    def __init__(
        self,
        run: Run,
        flow: Flow,
        step: Step,
        say: Any,
        sync_parent: SyncParent,
        used: list[str] | None = None,
    ) -> None:
        self.used = used if used is not None else []  # names the run steps of our calls
        self.run = run
        self.flow = flow
        self.step = step
        self.say = say
        self.sync_parent = sync_parent
        self.cache: dict[tuple[str, str], str] = {}

    # --- what the engine calls ---------------------------------------------------
    def mapping(self, rules: list[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
        """The step's mapping with each reference rule replaced by the linked id."""
        bound = []
        for rule in rules or []:
            if not isinstance(rule, dict) or not rule.get("ref"):
                bound.append(rule)
                continue
            raw = mapping.get_path(context, str(rule.get("source") or ""))
            if raw is mapping.MISSING or raw in (None, ""):
                if rule.get("required"):
                    raise mapping.MappingError(
                        f"{rule['target']}: the {rule['ref']} reference at {rule.get('source')} "
                        "is missing"
                    )
                continue
            resolved = {"target": rule["target"], "const": self.resolve(rule["ref"], raw)}
            if rule.get("only_on"):
                resolved["only_on"] = rule["only_on"]
            bound.append(resolved)
        return bound

    def params(self, context: dict[str, Any]) -> dict[str, Any]:
        """Operation parameters: constants, values read from the context, or references."""
        params: dict[str, Any] = {}
        for name, spec in (self.step.params or {}).items():
            if name.startswith("_"):
                continue
            if not (isinstance(spec, dict) and ("source" in spec or "sources" in spec)):
                params[name] = spec
                continue
            # "sources": the first of several paths that has a value (e.g. two lookups).
            paths = [spec["source"]] if "source" in spec else list(spec["sources"] or [])
            values = (mapping.get_path(context, str(path)) for path in paths)
            value = next((v for v in values if v not in (mapping.MISSING, None, "")), None)
            if value is None:
                if spec.get("message"):  # the step's own sentence (e.g. no contact matches)
                    raise mapping.MappingError(mapping.explain(str(spec["message"]), context))
                raise mapping.MappingError(f"parameter {name}: {' or '.join(paths)} is missing")
            params[name] = self.resolve(spec["ref"], value) if spec.get("ref") else value
        return params

    # --- resolution ----------------------------------------------------------------
    def resolve(self, object_type: str, source_id: Any) -> str:
        """The id, in the step's app, of the `object_type` record linked to `source_id`."""
        key = (object_type, str(source_id))
        if key not in self.cache:
            self.cache[key] = self._resolve(object_type, str(source_id))
        return self.cache[key]

    def _linked(self, object_type: str, source_id: str) -> str | None:
        side = links.find(object_type, self.flow.source, source_id, self.step.connection)
        return side.target_record if side else None

    def _resolve(self, object_type: str, source_id: str) -> str:
        found = self._linked(object_type, source_id)
        if found:
            return found
        source, app = self.flow.source, self.step.connection
        parent_flow, parent_step = self._parent_flow(object_type)
        if parent_flow is None or parent_step is None:
            raise ParentMissing(
                f"{object_type} {source_id} of {source} has no linked record in {app}, and no "
                f"enabled flow of this integration syncs {object_type}s from {source} to "
                f"{app}. Add one (or sync that {object_type} first), then retry.",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        record = self._read_parent(object_type, source_id)
        self.say.info(
            f"{self.step.key}: {object_type} {source_id} is not linked in {app} yet; "
            f"syncing it first with “{parent_flow.name}”"
        )
        self.sync_parent(parent_flow, parent_step, record)
        found = self._linked(object_type, source_id)
        if not found:
            raise ParentMissing(
                f"{object_type} {source_id} could not be linked in {app} (the parent sync "
                "wrote nothing); the child is not written, to avoid an orphan.",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        self.say.info(f"{self.step.key}: {object_type} {source_id} is {found} in {app}")
        return found

    def _parent_flow(self, object_type: str) -> tuple[Flow | None, Step | None]:
        flows = Flow.objects.filter(
            integration_id=self.flow.integration_id,
            object_type=object_type,
            source_id=self.flow.source_id,
            enabled=True,
        ).order_by("pk")
        for flow in flows:
            step = flow.steps.filter(
                connection_id=self.step.connection_id, record_mode=Step.RecordMode.SYNC
            ).first()
            if step is not None:
                return flow, step
        return None, None

    def _read_parent(self, object_type: str, source_id: str) -> dict[str, Any]:
        connector = self.flow.source.connector
        getter = getattr(connector, "get_record", None)
        try:
            if getter:
                self.used.append(f"read {object_type} from {self.flow.source}"[:100])
            record = getter(object_type, source_id) if getter else None
        except ConnectorError as exc:
            if exc.status != 404:
                raise  # transient or auth: the run retries or fails as for any call
            record = None
        if not isinstance(record, dict):
            raise ParentMissing(
                f"{object_type} {source_id} could not be read from {self.flow.source}: it may "
                "have been deleted there. The child is not written, to avoid an orphan.",
                permanent=True,
                kind=ErrorKind.VALIDATION,
            )
        return record
