# Rules that apply to every call whatever the jurisdictions involved. Each reason names the
# caller's jurisdiction (the one whose gateway user was stopped; "ALL" if the token had none)
# and cites that jurisdiction's instrument from its authorization package
# (`citations` in policies/jurisdictions/<cc>/authorization.rego), else the code's default.
package governance.lib.baseline

import rego.v1

import data.governance.lib.ctx
import data.governance.lib.reasons

jurisdiction := ctx.subject_jurisdiction if ctx.subject_jurisdiction != ""
else := "ALL"

_package_citation(j, code) := c if {
	p := lower(j)
	c := data.governance.jurisdictions[p].authorization.citations[code]
	is_string(c)
}

citation(code) := c if {
	c := _package_citation(jurisdiction, code)
} else := c if {
	jurisdiction in ctx.eu_members
	c := _package_citation("EU", code)
} else := reasons.default_regulation(code)

reason(code, message) := reasons.detail(code, jurisdiction, citation(code), message)

known_kinds := {"read", "write", "admin"}

writer_roles := {"trader", "admin"}

# ---- methods -----------------------------------------------------------------------------
deny contains reason("METHOD_FORBIDDEN", sprintf("%s is not in the gateway's method table", [ctx.method])) if {
	not ctx.kind in known_kinds
}

deny contains reason("METHOD_FORBIDDEN", sprintf("%s is administrative and needs the admin role", [ctx.method])) if {
	ctx.kind == "admin"
	not ctx.has_role("admin")
}

# ---- writes: who may write ----------------------------------------------------------------
deny contains reason("KYC_REQUIRED", "the caller's KYC is not verified") if {
	ctx.is_write
	object.get(ctx.subject, "kyc", "") != "verified"
}

deny contains reason("ROLE_FORBIDDEN", "writing needs the trader or admin role") if {
	ctx.is_write
	count(ctx.roles & writer_roles) == 0
}

sender_owned if {
	ctx.known(ctx.sender)
	ctx.subject_org != ""
	object.get(ctx.sender, "org", null) == ctx.subject_org
}

deny contains reason("SENDER_NOT_OWNED", sprintf("%s is not a known address of %s", [ctx.sender_address, ctx.subject_org])) if {
	ctx.is_write
	not sender_owned
}

deny contains reason("KYC_REQUIRED", sprintf("the sending account %s is not KYC verified", [ctx.sender_address])) if {
	ctx.is_write
	sender_owned
	object.get(ctx.sender, "kyc", "") != "verified"
}

# ---- writes: sanctions ------------------------------------------------------------------------
screened contains a if {
	some a in [
		ctx.sender_address,
		ctx.recipient_address,
		lower(ctx.str(object.get(ctx.tx, "from", ""))),
		lower(ctx.str(object.get(ctx.tx, "to", ""))),
	]
	a != ""
}

sanctioned contains a if {
	ctx.is_write
	some a in screened
	ctx.ref("sanctions")[a]
}

sanctioned contains a if {
	ctx.is_write
	some entity in [ctx.sender, ctx.recipient]
	object.get(entity, "sanctioned", false) == true
	a := lower(ctx.str(object.get(entity, "address", "")))
}

deny contains reason("SANCTIONED_PARTY", sprintf("%s is on the sanctions list", [a])) if {
	some a in sanctioned
}

# ---- writes: replay protection ------------------------------------------------------------
# A signed transaction must carry this ledger's chain id (EIP-155). A raw transaction without
# one (pre-EIP-155) is replayable on any chain and is refused. eth_sendTransaction is signed
# by the node with its own chain id, so there only a chain id that is present must match.
tx_chain_id := object.get(ctx.tx, "chain_id", null)

deny contains reason("CHAIN_ID_MISMATCH", "pre-EIP-155 transaction without a chain id (replayable)") if {
	ctx.is_write
	count(ctx.tx) > 0
	tx_chain_id == null
	ctx.method != "eth_sendTransaction"
}

deny contains reason("CHAIN_ID_MISMATCH", sprintf("transaction chain id %v, ledger chain id %v", [tx_chain_id, object.get(ctx.request, "chain_id", null)])) if {
	ctx.is_write
	count(ctx.tx) > 0
	tx_chain_id != null
	tx_chain_id != object.get(ctx.request, "chain_id", null)
}
