"""PIPL export volumes on the hot path: the count each decision that would carry CN individuals'
data abroad is given (`input.exports`), and the individuals it did carry, recorded with the
decision (governance/policy/exports.py says which; governance/audit/exports.py stores them).

The count the policy sees is the organisation's count before this decision plus the people this
decision would add (named, not yet recorded). For a read, the decision before forwarding counts
the people of the params; the items of the node's answer are all decided with the people of the
params and of every item, so items that share one evaluation (same profile) share one count.
What is recorded is narrower: only the people whose data reached the caller, as is or redacted
(a denied or withheld item delivers nothing). People are the directory's persons (`person`),
so the addresses of one individual count once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from governance.domain.models import Decision, Entity
from governance.domain.ports import ExportsPort
from governance.domain.records import Export
from governance.domain.reference import Reference
from governance.policy.exports import china_year, exports_input, read_people, write_people

# The persons a decision names (the directory's `person` of each address, else the address),
# each with whether the directory flags any of their addresses' data as sensitive.
People = dict[str, bool]


@dataclass(frozen=True)
class Tally:
    """One decision's organisation, China year and the people its params or parties name."""

    org: str
    year: str
    kind: str
    people: tuple[tuple[str, bool], ...]


def persons(addresses: Iterable[str], reference: Reference) -> People:
    """Distinct individuals, not addresses: the addresses of one person count once."""
    out: People = {}
    for address in addresses:
        person = reference.person(address)
        out[person] = out.get(person, False) or reference.sensitive(address)
    return out


class ExportCounter:
    def __init__(self, store: ExportsPort) -> None:
        self.store = store

    async def before(self, policy_input: dict[str, Any], reference: Reference) -> Tally | None:
        """Sets `input.exports` for the decision before forwarding (null when it would carry
        no CN individual's data abroad). None for calls that are neither reads nor writes."""
        request = policy_input.get("request") or {}
        kind = str(request.get("kind"))
        if kind not in ("read", "write"):
            return None
        if kind == "write":
            addresses = write_people(policy_input)
        else:
            parties = (policy_input.get("read") or {}).get("parties", [])
            addresses = read_people(policy_input, parties)
        subject = policy_input.get("subject") or {}
        people = persons(addresses, reference)
        tally = Tally(
            str(subject.get("org") or ""),
            china_year(str(request.get("received_at"))),
            kind,
            tuple(sorted(people.items())),
        )
        policy_input["exports"] = await self.input_for(tally, people)
        return tally

    async def input_for(self, tally: Tally, people: People) -> dict[str, Any] | None:
        """`input.exports` for a decision that would carry `people` abroad."""
        if not people:
            return None
        volume = await self.store.count(tally.org, tally.year, sorted(people))
        new = [p for p in people if p not in volume.recorded]
        sensitive = sum(1 for p in new if people[p])
        return exports_input(
            tally.org, tally.year, volume.individuals + len(new), volume.sensitive + sensitive
        )

    async def for_items(
        self,
        tally: Tally,
        policy_input: dict[str, Any],
        parties: Iterable[Entity],
        reference: Reference,
    ) -> dict[str, Any] | None:
        """`input.exports` for the items of a read's answer."""
        people = {**dict(tally.people), **persons(read_people(policy_input, parties), reference)}
        return await self.input_for(tally, people)

    def carried(
        self,
        tally: Tally | None,
        decision: Decision,
        policy_input: dict[str, Any],
        delivered: Iterable[Entity],
        reference: Reference,
    ) -> tuple[Export, ...]:
        """What an allowed decision sent abroad that is not known to be recorded: a write's
        people; a read's params people and the people of the items the reader received,
        redacted or not (a redacted item keeps the person's amounts and times: pseudonymised
        data is still personal information, PIPL art. 4)."""
        if tally is None or not decision.allow:
            return ()
        people: People = dict(tally.people)
        if tally.kind == "read":
            people.update(persons(read_people(policy_input, delivered), reference))
        new = self.store.unrecorded(tally.org, tally.year, sorted(people))
        return tuple(Export(tally.org, tally.year, p, people[p]) for p in new)

    async def record(self, exports: Sequence[Export], decision_id: str) -> None:
        if exports:
            await self.store.record(exports, decision_id)

    def recorded(self, exports: Sequence[Export]) -> None:
        if exports:
            self.store.remember(exports)
