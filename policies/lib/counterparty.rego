# Counterparty rules driven by data/jurisdictions.json:
#
#   "counterparty": {"require_known": true, "scope": "any" | "cross_border", "regulation": "..."}
#   "self_hosted":  {"threshold": 1000, "currency": "EUR", "op": "gt",
#                    "unknown_as_self_hosted": true, "regulation": "..."}
#   "contract_registry": {"require_registered": true, "regulation": "..."}
#
# All bind the originating side (caller or sender in the jurisdiction).
package governance.lib.counterparty

import rego.v1

config(j) := data.governance.lib.ctx.entry(j, "counterparty")

self_hosted_config(j) := data.governance.lib.ctx.entry(j, "self_hosted")

regulation(j) := data.governance.lib.ctx.str(object.get(config(j), "regulation", ""))

self_hosted_regulation(j) := data.governance.lib.ctx.str(object.get(self_hosted_config(j), "regulation", ""))

scope_ok(j) if object.get(config(j), "scope", "any") == "any"

scope_ok(j) if {
	cfg := config(j)
	cfg.scope == "cross_border"
	data.governance.lib.ctx.transfer.cross_border
}

# A value transfer to an address the directory does not know, where `j` requires a known one.
unknown_recipient(j) if {
	cfg := config(j)
	cfg.require_known == true
	data.governance.lib.ctx.transfer.value_transfer
	data.governance.lib.ctx.originates_in(j)
	not data.governance.lib.ctx.doc.parties.recipient.known == true
	scope_ok(j)
}

self_hosted_recipient(j) if data.governance.lib.ctx.doc.parties.recipient.self_hosted == true
else := true if {
	cfg := self_hosted_config(j)
	cfg.unknown_as_self_hosted == true
	not data.governance.lib.ctx.doc.parties.recipient.known == true
}

# A transfer to a self-hosted address at or over `j`'s threshold without an ownership
# attestation (travel_rule.beneficiary.selfHostedVerification) naming that address.
self_hosted_unverified(j) if {
	cfg := self_hosted_config(j)
	count(cfg) > 0
	data.governance.lib.ctx.transfer.value_transfer
	data.governance.lib.ctx.originates_in(j)
	self_hosted_recipient(j)
	data.governance.lib.amounts.meets(cfg)
	not data.governance.lib.travel.ownership_attested("beneficiary", data.governance.lib.ctx.transfer.recipient_address)
}

registry_config(j) := data.governance.lib.ctx.entry(j, "contract_registry")

registry_regulation(j) := data.governance.lib.ctx.str(object.get(registry_config(j), "regulation", ""))

# The contracts a write touches (`input.contracts`) that are not in the contract registry,
# where `j` requires registered ones.
unregistered_contracts(j) := {a |
	data.governance.lib.ctx.call.write
	cfg := registry_config(j)
	cfg.require_registered == true
	data.governance.lib.ctx.originates_in(j)
	some x in data.governance.lib.ctx.arr(object.get(data.governance.lib.ctx.doc, "contracts", []))
	c := data.governance.lib.ctx.obj(x)
	not c.registered == true
	a := lower(data.governance.lib.ctx.str(object.get(c, "address", "")))
	not directory[a]
}

# Addresses of the entity directory are accounts, not contracts.
directory := data.governance.lib.ctx.ref("entities")
