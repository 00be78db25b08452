package governance.main_test

import rego.v1

import data.governance.lib.fixtures as fx
import data.governance.main

acme := fx.subject("acme-us", "US", "institution")

test_decision_shape if {
	d := main.decision with data.governance.lib.ctx.doc as fx.transfer(acme, fx.acct0, fx.acct0, "tokenized_deposit", 1)
	object.keys(d) == {"allow", "reasons", "obligations", "jurisdictions", "mask"}
	object.keys(d.obligations) == {"redact", "report", "require_travel_rule"}
}

test_empty_input_still_decides_and_denies if {
	d := main.decision with data.governance.lib.ctx.doc as {}
	not d.allow
	fx.decision_codes(d) == {"METHOD_FORBIDDEN"}
	d.jurisdictions == []
}

test_eu_member_brings_eu if {
	inp := fx.with_payload(fx.transfer(acme, fx.acct0, fx.acct4, "tokenized_deposit", 1))
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.jurisdictions == ["DE", "EU", "US"]
}

test_gb_maps_to_uk if {
	thames := fx.subject("thames-uk", "GB", "individual")
	inp := fx.transfer(thames, fx.acct6, fx.acct6, "security_token", 1)
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.jurisdictions == ["UK"]
}

test_read_residency_applies if {
	inp := fx.reading(acme, "eth_getLogs", [fx.acct2])
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.jurisdictions == ["CN", "US"]
}

test_deny_overrides if {
	# one jurisdiction (SG) denies, the others allow: the decision denies
	inp := fx.transfer(acme, fx.acct0, fx.acct5, "stablecoin", 10)
	d := main.decision with data.governance.lib.ctx.doc as inp
	not d.allow
	fx.codes_in(d.reasons, "SG") == {"TRAVEL_RULE_MISSING"}
	fx.codes_in(d.reasons, "US") == set()
}

test_reasons_sorted_by_code if {
	inp := fx.transfer(fx.put(acme, "kyc", "none"), fx.acct9, fx.sanctioned_address, "tokenized_deposit", 1)
	d := main.decision with data.governance.lib.ctx.doc as inp
	codes := [r.code | some r in d.reasons]
	codes == sort(codes)
	count(codes) >= 3
}

test_require_travel_rule_obligation if {
	inp := fx.transfer(acme, fx.acct0, fx.acct5, "stablecoin", 10)
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.obligations.require_travel_rule
}

test_no_travel_rule_obligation_for_domestic_small_transfer if {
	inp := fx.transfer(acme, fx.acct0, fx.acct0, "stablecoin", 10)
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.allow
	not d.obligations.require_travel_rule
}

test_mask_travel_rule_parties_when_present if {
	inp := fx.with_payload(fx.transfer(acme, fx.acct0, fx.acct5, "stablecoin", 10))
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.mask == ["/travel_rule/beneficiary", "/travel_rule/originator"]
	d.allow
}

test_no_mask_without_travel_rule if {
	d := main.decision with data.governance.lib.ctx.doc as fx.transfer(acme, fx.acct0, fx.acct0, "stablecoin", 10)
	d.mask == []
}

test_reports_are_collected if {
	inp := fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 20000)
	d := main.decision with data.governance.lib.ctx.doc as inp
	d.allow
	d.obligations.report == [{"kind": "large_value", "jurisdiction": "US", "regulation": data.reference.jurisdictions.US.reports[0].regulation}]
}

test_redactions_are_collected if {
	lion := fx.subject("lion-sg", "SG", "institution")
	d := main.decision with data.governance.lib.ctx.doc as fx.reading(lion, "eth_getLogs", [fx.acct2])
	d.allow
	d.obligations.redact == ["/*/data", "/*/topics"]
}

test_every_reason_carries_jurisdiction_and_regulation if {
	inp := fx.transfer(fx.put(acme, "kyc", "none"), fx.acct9, fx.sanctioned_address, "virtual_currency", 50000)
	d := main.decision with data.governance.lib.ctx.doc as inp
	count(d.reasons) > 0
	every r in d.reasons {
		r.jurisdiction != ""
		r.regulation != ""
		r.message != ""
		data.governance.lib.reasons.codes[r.code]
	}
}
