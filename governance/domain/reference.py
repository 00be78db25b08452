"""Reference data as the gateway uses it for enrichment: the same documents the policies see
as `data.reference`, indexed for lookups on the hot path."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Final

from governance.domain.models import Asset, Entity, Licence

# Above this many directory addresses, searching each one in a blob costs more than looking
# up every 20-byte window of the blob.
_PER_ADDRESS_LIMIT: Final = 48
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold_name(name: str) -> str:
    """A name as screening compares it: ASCII letters and digits in lower case, accents
    dropped, anything else a single space."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(_NOT_ALNUM.sub(" ", ascii_name.lower()).split())


class AddressIndex:
    """The directory addresses worth finding inside blobs (lower-case hex, no `0x`)."""

    def __init__(self, addresses: Iterable[str]) -> None:
        self.hex = frozenset(a.lower().removeprefix("0x") for a in addresses if len(a) == 42)
        self._ordered = tuple(sorted(self.hex))

    def embedded(self, blob: str) -> list[str]:
        """Directory addresses inside a hex blob (`0x...`), at any offset."""
        text = blob.lower()
        if len(self._ordered) <= _PER_ADDRESS_LIMIT:
            return ["0x" + a for a in self._ordered if a in text]
        windows = {text[i : i + 40] for i in range(len(text) - 39)}
        return ["0x" + a for a in sorted(windows & self.hex)]


@dataclass(frozen=True)
class Reference:
    entities: Mapping[str, Mapping[str, Any]]
    assets: Mapping[str, Mapping[str, Any]]
    rates: Mapping[str, float]
    sanctions: Mapping[str, Any]
    contracts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sanction_lists: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sanctioned_names: tuple[Mapping[str, Any], ...] = ()
    time_zones: Mapping[str, str] = field(default_factory=dict)  # jurisdiction -> IANA zone

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Reference:
        ref = data.get("reference", {})
        return cls(
            entities={
                k.lower(): v for k, v in _obj(ref.get("entities")).items() if isinstance(v, dict)
            },
            assets={
                k.lower(): v for k, v in _obj(ref.get("assets")).items() if isinstance(v, dict)
            },
            rates={
                k: float(v)
                for k, v in _obj(ref.get("rates")).items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            },
            sanctions=_obj(ref.get("sanctions")),
            contracts={
                k.lower(): v for k, v in _obj(ref.get("contracts")).items() if isinstance(v, dict)
            },
            sanction_lists={
                k: v for k, v in _obj(ref.get("sanction_lists")).items() if isinstance(v, dict)
            },
            sanctioned_names=tuple(
                n
                for n in (ref.get("sanctioned_names") or [])
                if isinstance(n, dict) and isinstance(n.get("name"), str)
            ),
            time_zones={
                code: v["time_zone"]
                for code, v in _obj(ref.get("jurisdictions")).items()
                if isinstance(v, dict) and isinstance(v.get("time_zone"), str)
            },
        )

    @cached_property
    def sanctioned_name_keys(self) -> tuple[str, ...]:
        """`sanctioned_names` folded for screening, in the same order (built once)."""
        return tuple(fold_name(str(n["name"])) for n in self.sanctioned_names)

    @cached_property
    def address_index(self) -> AddressIndex:
        """The directory's addresses, for finding them inside hex blobs (built once)."""
        return AddressIndex(self.entities)

    def entity(self, address: str | None) -> Entity:
        addr = (address or "").lower()
        doc = self.entities.get(addr)
        sanctioned = addr in self.sanctions
        if doc is None:
            return Entity(addr, None, None, None, None, sanctioned, False, False)
        return Entity(
            address=addr,
            org=_str(doc.get("org")),
            jurisdiction=_str(doc.get("jurisdiction")),
            entity_kind=_str(doc.get("entity_kind")),
            kyc=_str(doc.get("kyc")),
            sanctioned=sanctioned,
            self_hosted=bool(doc.get("self_hosted", False)),
            known=True,
            licences=_licences(doc.get("licences")),
            clients_abroad_only=doc.get("clients_abroad_only") is True,
        )

    def sensitive(self, address: str) -> bool:
        """The directory flags the individual's data as sensitive personal information."""
        doc = self.entities.get(address.lower())
        return doc is not None and doc.get("sensitive_personal_data") is True

    def person(self, address: str) -> str:
        """The legal person whose limits an address's spending counts against: the directory's
        `person` of the address, else the address itself (an address the directory does not
        know is its own person)."""
        addr = address.lower()
        person = (self.entities.get(addr) or {}).get("person")
        return person if isinstance(person, str) and person else addr

    def asset(self, contract: str) -> Asset | None:
        doc = self.assets.get(contract.lower())
        if doc is None:
            return None
        return Asset(
            symbol=str(doc.get("symbol", "?")),
            asset_class=str(doc.get("class", "unknown")),
            decimals=int(doc.get("decimals", 18)),
            contract=contract.lower(),
        )

    def usd(self, symbol: str, units: Decimal) -> float | None:
        rate = self.rates.get(symbol)
        return None if rate is None else float(units * Decimal(str(rate)))


def _licences(value: Any) -> tuple[Licence, ...]:
    """The directory's licences of an entity. An entry that is not an object, or whose last
    valid day is neither a date string nor null, is dropped (the schema refuses both): a
    dropped licence licenses nothing, where a guessed expiry could license too much."""
    return tuple(
        Licence(
            regime=str(x.get("regime", "")),
            licence_id=str(x.get("licence_id", "")),
            status=str(x.get("status", "")),
            valid_until=x.get("valid_until"),
        )
        for x in (value if isinstance(value, list) else [])
        if isinstance(x, dict)
        and "valid_until" in x
        and (x["valid_until"] is None or isinstance(x["valid_until"], str))
    )


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def to_units(raw: int, decimals: int) -> Decimal:
    return Decimal(raw).scaleb(-decimals)


def format_units(raw: int, decimals: int) -> str:
    """Decimal string in whole token units without exponent or trailing zeros: "1.5"."""
    text = format(to_units(raw, decimals), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
