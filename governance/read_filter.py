"""Read obligations: what the reader may see of a node's answer (issue: read-side data scope).

The decision taken before forwarding knows only the parties the params name. Most results
name their own parties (the `from`/`to` of a transaction, the holders in a Transfer log), so
each item of the result is decided again with its parties as `input.read.parties` and
`input.read.phase = "result"`. Items with the same party profile share one evaluation.
Denied log entries are withheld, denied transactions inside a block are blanked, and a
denied single-item result refuses the call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from governance.domain.models import Decision, Entity
from governance.domain.ports import PolicyEngine
from governance.domain.snapshot import PolicySnapshot
from governance.ledger.results import (
    ResultItem,
    blank_item,
    concrete_paths,
    redact,
    result_items,
    scrub,
    withhold,
)

# A denied item of these kinds alone at the top of the answer refuses the call.
_REFUSED_WHOLE = ("transaction", "receipt", "log", "result")


# Given every party of the answer's items, the `input.exports` the items are decided with.
ExportsHook = Callable[[list[Entity]], Awaitable[dict[str, Any] | None]]


@dataclass
class FilterOutcome:
    result: Any
    denial: Decision | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    # The parties of the items the reader received, as they were or redacted (pseudonymised
    # data is still personal data: only withheld or denied items deliver nothing).
    delivered: list[Entity] = field(default_factory=list)


class ReadFilter:
    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine

    async def apply(
        self,
        snapshot: PolicySnapshot,
        policy_input: dict[str, Any],
        decision: Decision,
        method: str,
        result: Any,
        exports: ExportsHook | None = None,
    ) -> FilterOutcome:
        """Applies the call's own redactions, then each item's decision."""
        result, redacted = redact(result, concrete_paths(decision.redact, ""))
        items = result_items(method, result, snapshot.reference.address_index)
        if not items:
            return FilterOutcome(result, summary=_summary(redacted, 0, 0, []))
        entities = _EntityCache(snapshot)
        profiles = [_profile(entities, item) for item in items]
        if exports is not None:  # one count for every item: items of one profile share it
            every = [entities.get(a) for a in _distinct(items)]
            policy_input = {**policy_input, "exports": await exports(every)}
        decisions = await self._decide_items(snapshot, policy_input, items, profiles, entities)
        denied: list[ResultItem] = []
        allowed: list[ResultItem] = []
        for item, profile in zip(items, profiles, strict=True):
            item_decision = decisions[profile]
            if not item_decision.allow:
                if item.prefix == "" and item.kind in _REFUSED_WHOLE:
                    summary = _summary(redacted, len(items), len(decisions), [item])
                    return FilterOutcome(None, denial=item_decision, summary=summary)
                denied.append(item)
                continue
            allowed.append(item)
            if item_decision.redact:
                # The policy's paths, then every found address wherever else it still sits.
                own = [] if item.kind == "header" else item_decision.redact
                result, blanked = redact(result, concrete_paths(own, item.prefix))
                redacted.extend(blanked)
                redacted.extend(scrub(result, item))
        withheld = [i for i in denied if i.kind == "log" and isinstance(result, list)]
        for item in denied:
            if item not in withheld:
                redacted.extend(blank_item(result, item))
        if withheld:
            result = withhold(result, [i.prefix for i in withheld])
        summary = _summary(sorted(set(redacted)), len(items), len(decisions), denied)
        delivered = [entities.get(a) for a in _distinct(allowed)]
        return FilterOutcome(result, summary=summary, delivered=delivered)

    async def _decide_items(
        self,
        snapshot: PolicySnapshot,
        policy_input: dict[str, Any],
        items: list[ResultItem],
        profiles: list[tuple[Any, ...]],
        entities: _EntityCache,
    ) -> dict[tuple[Any, ...], Decision]:
        out: dict[tuple[Any, ...], Decision] = {}
        for item, key in zip(items, profiles, strict=True):
            if key in out:
                continue
            parties = [entities.get(a) for a in item.addresses]
            out[key] = await self.engine.decide(snapshot, _item_input(policy_input, item, parties))
        return out


def _distinct(items: list[ResultItem]) -> list[str]:
    """The addresses of `items`, each once (the items of a large answer repeat a few)."""
    tuples = dict.fromkeys(item.addresses for item in items)
    return list(dict.fromkeys(a for addresses in tuples for a in addresses))


class _EntityCache:
    """A large result names the same few addresses over and over: look each up once."""

    def __init__(self, snapshot: PolicySnapshot) -> None:
        self.reference = snapshot.reference
        self.found: dict[str, Entity] = {}
        self.profiles: dict[str, tuple[str, ...]] = {}
        self.items: dict[tuple[str, tuple[str, ...]], tuple[Any, ...]] = {}

    def get(self, address: str) -> Entity:
        entity = self.found.get(address)
        if entity is None:
            entity = self.found[address] = self.reference.entity(address)
        return entity

    def profile(self, address: str) -> tuple[str, ...]:
        found = self.profiles.get(address)
        if found is None:
            found = self.profiles[address] = _entity_profile(self.get(address))
        return found


def _profile(entities: _EntityCache, item: ResultItem) -> tuple[Any, ...]:
    """Items whose parties look alike to policy are decided once."""
    key = (item.kind, item.addresses)
    found = entities.items.get(key)
    if found is None:
        parties = tuple(sorted(entities.profile(a) for a in item.addresses))
        found = entities.items[key] = (item.kind, parties)
    return found


def _entity_profile(e: Entity) -> tuple[str, ...]:
    return (
        str(e.org),
        str(e.jurisdiction),
        str(e.entity_kind),
        str(e.kyc),
        str(e.known),
        str(e.sanctioned),
        str(e.self_hosted),
        str(e.licences),
        str(e.clients_abroad_only),
    )


def _item_input(
    policy_input: dict[str, Any], item: ResultItem, parties: list[Entity]
) -> dict[str, Any]:
    read = dict(policy_input.get("read") or {})
    read.update(
        phase="result",
        item=item.kind,
        parties=[p.to_input() for p in parties],
        residency=sorted({p.jurisdiction for p in parties if p.jurisdiction}),
    )
    return {**policy_input, "read": read}


def _summary(
    redacted: list[str], items: int, evaluations: int, denied: list[ResultItem]
) -> dict[str, Any]:
    return {
        "items": items,
        "evaluations": evaluations,
        "redacted": redacted,
        "withheld": sum(1 for d in denied if d.kind == "log"),
        "denied_items": len(denied),
    }
