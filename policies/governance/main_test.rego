package tests.main

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

lion := fx.subject("lion-sg", "SG", "institution")

thames := fx.subject("thames-uk", "GB", "individual")

to_sg := fx.transfer(acme, fx.acct0, fx.acct5, "stablecoin", 10)

cases := object.union(harness_cases, {
	"test_empty_input_still_decides_and_denies": {"input": {}, "allow": false, "codes": ["INPUT_INVALID", "METHOD_FORBIDDEN"], "jurisdictions": []},
	"test_eu_member_brings_eu": {
		"input": fx.with_payload(fx.transfer(acme, fx.acct0, fx.acct4, "tokenized_deposit", 1)),
		"jurisdictions": ["DE", "EU", "US"], "allow": true,
	},
	"test_gb_maps_to_uk": {"input": fx.transfer(thames, fx.acct6, fx.acct6, "security_token", 1), "jurisdictions": ["UK"], "allow": true},
	"test_read_residency_applies": {"input": fx.reading(acme, "eth_getLogs", [fx.acct2]), "jurisdictions": ["CN", "US"]},
	"test_deny_overrides": {"input": to_sg, "allow": false, "in": "SG", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_other_jurisdiction_silent_in_deny_overrides": {"input": to_sg, "in": "US", "codes": []},
	"test_several_reasons_sorted": {
		"input": fx.transfer(fx.put(acme, "kyc", "none"), fx.acct9, fx.sanctioned_address, "tokenized_deposit", 1),
		"has": ["KYC_REQUIRED", "SANCTIONED_PARTY", "SENDER_NOT_OWNED"],
	},
	"test_require_travel_rule_obligation": {"input": to_sg, "require_travel_rule": true},
	"test_no_travel_rule_obligation_for_small_domestic_transfer": {
		"input": fx.transfer(acme, fx.acct0, fx.acct0, "stablecoin", 10),
		"allow": true, "require_travel_rule": false,
	},
	"test_mask_travel_rule_parties_when_present": {
		"input": fx.with_payload(to_sg),
		"allow": true, "mask": ["/travel_rule/beneficiary", "/travel_rule/originator"],
	},
	"test_no_mask_without_travel_rule": {"input": fx.transfer(acme, fx.acct0, fx.acct0, "stablecoin", 10), "mask": []},
	"test_reports_are_collected": {
		"input": fx.transfer(acme, fx.acct0, fx.acct0, "security_token", 20000),
		"allow": true, "reports": ["large_value"],
	},
	"test_redactions_are_collected": {
		"input": fx.reading(lion, "eth_getLogs", [fx.acct2]),
		"allow": true, "redact": ["/*/data", "/*/topics"],
	},
	"test_every_reason_well_formed": {
		"input": fx.transfer(fx.put(acme, "kyc", "none"), fx.acct9, fx.sanctioned_address, "virtual_currency", 50000),
		"allow": false,
	},
})

# ---- tests (one per case) ----

test_empty_input_still_decides_and_denies if harness.passes(cases.test_empty_input_still_decides_and_denies)

test_eu_member_brings_eu if harness.passes(cases.test_eu_member_brings_eu)

test_gb_maps_to_uk if harness.passes(cases.test_gb_maps_to_uk)

test_read_residency_applies if harness.passes(cases.test_read_residency_applies)

test_deny_overrides if harness.passes(cases.test_deny_overrides)

test_other_jurisdiction_silent_in_deny_overrides if harness.passes(cases.test_other_jurisdiction_silent_in_deny_overrides)

test_several_reasons_sorted if harness.passes(cases.test_several_reasons_sorted)

test_require_travel_rule_obligation if harness.passes(cases.test_require_travel_rule_obligation)

test_no_travel_rule_obligation_for_small_domestic_transfer if harness.passes(cases.test_no_travel_rule_obligation_for_small_domestic_transfer)

test_mask_travel_rule_parties_when_present if harness.passes(cases.test_mask_travel_rule_parties_when_present)

test_no_mask_without_travel_rule if harness.passes(cases.test_no_mask_without_travel_rule)

test_reports_are_collected if harness.passes(cases.test_reports_are_collected)

test_redactions_are_collected if harness.passes(cases.test_redactions_are_collected)

test_every_reason_well_formed if harness.passes(cases.test_every_reason_well_formed)

test_harness_rejects_wrong_allow if harness.passes(cases.test_harness_rejects_wrong_allow)

test_harness_rejects_wrong_lacks if harness.passes(cases.test_harness_rejects_wrong_lacks)

test_harness_rejects_wrong_has if harness.passes(cases.test_harness_rejects_wrong_has)

test_harness_rejects_wrong_codes if harness.passes(cases.test_harness_rejects_wrong_codes)

test_harness_rejects_wrong_scope if harness.passes(cases.test_harness_rejects_wrong_scope)

test_harness_rejects_wrong_regulation if harness.passes(cases.test_harness_rejects_wrong_regulation)

test_harness_rejects_wrong_reports if harness.passes(cases.test_harness_rejects_wrong_reports)

# ---- the harness must reject wrong expectations (guards against vacuous passes) ----

wrong := fx.transfer(fx.subject("panda-cn", "CN", "institution"), fx.acct3, fx.acct9, "tokenized_deposit", 10)

harness_cases := {
	"test_harness_rejects_wrong_allow": {"input": wrong, "allow": true, "fails": true},
	"test_harness_rejects_wrong_lacks": {"input": wrong, "lacks": ["UNKNOWN_COUNTERPARTY"], "fails": true},
	"test_harness_rejects_wrong_has": {"input": wrong, "has": ["KYC_REQUIRED"], "fails": true},
	"test_harness_rejects_wrong_codes": {"input": wrong, "codes": [], "fails": true},
	"test_harness_rejects_wrong_scope": {"input": wrong, "in": "US", "has": ["UNKNOWN_COUNTERPARTY"], "fails": true},
	"test_harness_rejects_wrong_regulation": {"input": wrong, "regulations": {"UNKNOWN_COUNTERPARTY": "x"}, "fails": true},
	"test_harness_rejects_wrong_reports": {"input": wrong, "reports": ["large_value"], "fails": true},
}
