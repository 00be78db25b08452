# Rules on the simulated effects of a write (docs/policies.md, "Effects"): sanctions at any
# depth, fail-closed simulation and asset rules, the contract registry, and the travel rule,
# limits, quotas and the CN ban on the value that leaves the caller's org. Statutory figures
# are literals here (USD 3,000 US travel rule; USD 50,000 CN FX quota; the gateway's USD 5M
# US institution daily limit).
package tests.lib.effects

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

wang := fx.subject("panda-cn", "CN", "individual")

alpine := fx.subject("alpine-ch", "CH", "institution")

other := "0x00000000000000000000000000000000000b0b01"

# acme sends `usd` of USDC through the multisend to an address outside the directory.
via_multisend(usd) := fx.call(acme, fx.acct0, fx.multisend, [
	fx.effect("stablecoin", fx.acct0, fx.multisend, usd, 1),
	fx.effect("stablecoin", fx.multisend, fx.acct9, usd, 1),
])

# acme splits 2 x `usd` of USDC between two beneficiaries.
split(usd) := fx.call(acme, fx.acct0, fx.multisend, [
	fx.effect("stablecoin", fx.acct0, fx.multisend, 2 * usd, 1),
	fx.effect("stablecoin", fx.multisend, fx.acct9, usd, 1),
	fx.effect("stablecoin", fx.multisend, other, usd, 1),
])

daily(doc, already) := fx.spent(doc, "US", "person_daily_usd", already)

contracts(doc, registered) := fx.put(doc, "contracts", [{"address": fx.multisend, "registered": registered, "name": "MultiSend (demo)", "kind": "multisend", "org": null, "jurisdiction": null}])

approval(doc, spender) := fx.put(doc, "approvals", [{"kind": "erc20", "owner": fx.entity(fx.acct0), "spender": fx.entity(spender), "asset": object.union(fx.asset_of_class.stablecoin, {"known": true}), "amount": "1000000000", "approved": true}])

# The tx itself moves nothing; the router pays WBTC to a PRC individual.
to_prc(class) := fx.call(acme, fx.acct0, fx.router, [fx.effect(class, fx.router, fx.acct2, 10, 1)])

# wang moves EURD abroad through the router.
wang_abroad(usd, already) := fx.spent(fx.with_payload(fx.call(wang, fx.acct2, fx.router, [
	fx.effect("tokenized_deposit", fx.acct2, fx.router, usd, 1),
	fx.effect("tokenized_deposit", fx.router, fx.acct0, usd, 1),
])), "CN", "person_annual_cross_border_usd", already)

unsimulated(doc) := {k: doc[k] | some k in object.keys(doc); k != "simulation"}

off(doc) := fx.simulated(doc, "off", null)

plain(to) := off(fx.put2(fx.transfer(acme, fx.acct0, to, "tokenized_deposit", 10), "tx", "selector", null))

cases := {
	# sanctions at any depth, both directions, approvals
	"test_effects_sanctioned_beneficiary_at_depth": {"input": fx.call(acme, fx.acct0, fx.multisend, [
		fx.effect("tokenized_deposit", fx.acct0, fx.multisend, 30, 0),
		fx.effect("tokenized_deposit", fx.multisend, fx.sanctioned_address, 30, 1),
	]), "has": ["SANCTIONED_PARTY"]},
	"test_effects_sanctioned_origin_at_depth": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("stablecoin", fx.sanctioned_address, fx.acct0, 5, 2)]), "has": ["SANCTIONED_PARTY"]},
	"test_effects_sanctioned_flag_from_gateway": {"input": fx.call(acme, fx.acct0, fx.router, [fx.put(fx.effect("stablecoin", fx.router, fx.acct9, 5, 1), "to", fx.put(fx.entity(fx.acct9), "sanctioned", true))]), "has": ["SANCTIONED_PARTY"]},
	"test_effects_sanctioned_spender_of_approval": {"input": approval(fx.call(acme, fx.acct0, fx.router, []), fx.sanctioned_address), "has": ["SANCTIONED_PARTY"]},
	"test_effects_clean_multisend_allowed": {"input": via_multisend(10), "allow": true},
	# fail closed: simulation and assets
	"test_effects_simulation_unavailable": {"input": fx.simulated(via_multisend(10), "unavailable", "node timeout"), "codes": ["SIMULATION_UNAVAILABLE"]},
	"test_effects_no_simulation_field": {"input": unsimulated(via_multisend(10)), "codes": ["SIMULATION_UNAVAILABLE"]},
	"test_effects_simulation_status_unrecognised": {"input": fx.simulated(via_multisend(10), "partial", null), "codes": ["SIMULATION_UNAVAILABLE"]},
	"test_effects_simulation_reverted": {"input": fx.simulated(via_multisend(10), "reverted", "ERC20: transfer amount exceeds balance"), "codes": ["SIMULATION_REVERTED"]},
	"test_effects_unknown_asset": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("unknown", fx.acct0, fx.router, 0, 1)]), "has": ["UNKNOWN_ASSET"]},
	"test_effects_unvalued_amount": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("stablecoin", fx.router, fx.acct9, null, 1)]), "has": ["UNKNOWN_ASSET", "TRAVEL_RULE_MISSING", "DAILY_LIMIT_EXCEEDED"]},
	"test_effects_trade_document_without_amount": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("trade_document", fx.acct0, fx.acct9, null, 1)]), "lacks": ["UNKNOWN_ASSET"]},
	# simulation off: only registered contracts may be called
	"test_effects_off_unregistered_contract_refused": {"input": off(fx.call(acme, fx.acct0, fx.unregistered_contract, [])), "codes": ["UNREGISTERED_CONTRACT"]},
	"test_effects_off_registered_contract_allowed": {"input": off(fx.call(acme, fx.acct0, fx.multisend, [])), "allow": true},
	"test_effects_off_plain_transfer_to_directory_allowed": {"input": plain(fx.acct0), "allow": true},
	"test_effects_off_value_to_unknown_address_refused": {"input": plain(fx.acct9), "codes": ["UNREGISTERED_CONTRACT"]},
	"test_effects_on_unregistered_contract_allowed_in_us": {"input": fx.call(acme, fx.acct0, fx.unregistered_contract, []), "allow": true},
	# contract registry, per jurisdiction (on for CH and CN, off elsewhere)
	"test_ch_unregistered_contract_refused": {"input": contracts(fx.call(alpine, fx.acct8, fx.multisend, []), false), "in": "CH", "has": ["UNREGISTERED_CONTRACT"]},
	"test_ch_registered_contract_allowed": {"input": contracts(fx.call(alpine, fx.acct8, fx.multisend, []), true), "in": "CH", "lacks": ["UNREGISTERED_CONTRACT"]},
	"test_cn_unregistered_contract_refused": {"input": contracts(fx.call(fx.subject("panda-cn", "CN", "institution"), fx.acct3, fx.multisend, []), false), "in": "CN", "has": ["UNREGISTERED_CONTRACT"]},
	"test_us_unregistered_contract_not_refused": {"input": contracts(fx.call(acme, fx.acct0, fx.multisend, []), false), "allow": true},
	# travel rule: USD 3,000 per beneficiary of the value leaving the org
	"test_us_travel_rule_effects_just_below": {"input": via_multisend(2999.99), "in": "US", "lacks": ["TRAVEL_RULE_MISSING"], "require_travel_rule": false},
	"test_us_travel_rule_effects_at_threshold": {"input": via_multisend(3000), "in": "US", "has": ["TRAVEL_RULE_MISSING"]},
	"test_us_travel_rule_effects_above_threshold": {"input": via_multisend(3000.01), "in": "US", "has": ["TRAVEL_RULE_MISSING"]},
	"test_us_travel_rule_effects_per_beneficiary": {"input": split(2000), "in": "US", "lacks": ["TRAVEL_RULE_MISSING"]},
	"test_effects_within_org_do_not_leave_it": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("stablecoin", fx.router, fx.address_of("acme-us", "institution"), 5000, 1)]), "allow": true},
	# daily limit: USD 5,000,000 for a US institution, on the total leaving the org
	"test_us_daily_limit_effects_at_limit": {"input": daily(split(50), 4999900), "in": "US", "lacks": ["DAILY_LIMIT_EXCEEDED"]},
	"test_us_daily_limit_effects_exceeded": {"input": daily(split(50.01), 4999900), "in": "US", "has": ["DAILY_LIMIT_EXCEEDED"]},
	"test_effects_approval_is_not_spend": {"input": daily(approval(fx.call(acme, fx.acct0, fx.router, []), fx.acct9), 5000000), "allow": true},
	# effect parties bring their jurisdictions
	"test_effects_bring_party_jurisdictions": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("stablecoin", fx.router, fx.acct5, 10, 1)]), "jurisdictions": ["SG", "US"], "in": "SG", "codes": ["TRAVEL_RULE_MISSING"]},
	# CN virtual-currency ban on both sides of every effect
	"test_cn_ban_effect_to_prc_individual": {"input": to_prc("virtual_currency"), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_ban_effect_stablecoin_to_prc_individual": {"input": to_prc("stablecoin"), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_ban_effect_from_prc_individual": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("virtual_currency", fx.acct2, fx.acct0, 10, 1)]), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_ban_effect_tokenized_deposit_allowed": {"input": to_prc("tokenized_deposit"), "in": "CN", "codes": []},
	"test_cn_ban_effect_to_prc_institution_not_individual": {"input": fx.call(acme, fx.acct0, fx.router, [fx.effect("virtual_currency", fx.router, fx.acct3, 10, 1)]), "in": "CN", "lacks": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_ban_direct_transfer_to_prc_individual": {"input": fx.with_payload(fx.transfer(acme, fx.acct0, fx.acct2, "virtual_currency", 10)), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	# CN FX quota: USD 50,000 per individual and year, on effects leaving the country
	"test_cn_fx_quota_effects_at_quota": {"input": wang_abroad(100, 49900), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_fx_quota_effects_exceeded": {"input": wang_abroad(100.01, 49900), "in": "CN", "has": ["FX_QUOTA_EXCEEDED"]},
}

# ---- tests (one per case) ----

test_effects_sanctioned_beneficiary_at_depth if harness.passes(cases.test_effects_sanctioned_beneficiary_at_depth)

test_effects_sanctioned_origin_at_depth if harness.passes(cases.test_effects_sanctioned_origin_at_depth)

test_effects_sanctioned_flag_from_gateway if harness.passes(cases.test_effects_sanctioned_flag_from_gateway)

test_effects_sanctioned_spender_of_approval if harness.passes(cases.test_effects_sanctioned_spender_of_approval)

test_effects_clean_multisend_allowed if harness.passes(cases.test_effects_clean_multisend_allowed)

test_effects_simulation_unavailable if harness.passes(cases.test_effects_simulation_unavailable)

test_effects_simulation_status_unrecognised if harness.passes(cases.test_effects_simulation_status_unrecognised)

test_effects_simulation_reverted if harness.passes(cases.test_effects_simulation_reverted)

test_effects_unknown_asset if harness.passes(cases.test_effects_unknown_asset)

test_effects_unvalued_amount if harness.passes(cases.test_effects_unvalued_amount)

test_effects_trade_document_without_amount if harness.passes(cases.test_effects_trade_document_without_amount)

test_effects_off_unregistered_contract_refused if harness.passes(cases.test_effects_off_unregistered_contract_refused)

test_effects_off_registered_contract_allowed if harness.passes(cases.test_effects_off_registered_contract_allowed)

test_effects_off_plain_transfer_to_directory_allowed if harness.passes(cases.test_effects_off_plain_transfer_to_directory_allowed)

test_effects_off_value_to_unknown_address_refused if harness.passes(cases.test_effects_off_value_to_unknown_address_refused)

test_effects_on_unregistered_contract_allowed_in_us if harness.passes(cases.test_effects_on_unregistered_contract_allowed_in_us)

test_ch_unregistered_contract_refused if harness.passes(cases.test_ch_unregistered_contract_refused)

test_ch_registered_contract_allowed if harness.passes(cases.test_ch_registered_contract_allowed)

test_cn_unregistered_contract_refused if harness.passes(cases.test_cn_unregistered_contract_refused)

test_us_unregistered_contract_not_refused if harness.passes(cases.test_us_unregistered_contract_not_refused)

test_us_travel_rule_effects_just_below if harness.passes(cases.test_us_travel_rule_effects_just_below)

test_us_travel_rule_effects_at_threshold if harness.passes(cases.test_us_travel_rule_effects_at_threshold)

test_us_travel_rule_effects_above_threshold if harness.passes(cases.test_us_travel_rule_effects_above_threshold)

test_us_travel_rule_effects_per_beneficiary if harness.passes(cases.test_us_travel_rule_effects_per_beneficiary)

test_effects_within_org_do_not_leave_it if harness.passes(cases.test_effects_within_org_do_not_leave_it)

test_us_daily_limit_effects_at_limit if harness.passes(cases.test_us_daily_limit_effects_at_limit)

test_us_daily_limit_effects_exceeded if harness.passes(cases.test_us_daily_limit_effects_exceeded)

test_effects_approval_is_not_spend if harness.passes(cases.test_effects_approval_is_not_spend)

test_effects_bring_party_jurisdictions if harness.passes(cases.test_effects_bring_party_jurisdictions)

test_cn_ban_effect_to_prc_individual if harness.passes(cases.test_cn_ban_effect_to_prc_individual)

test_cn_ban_effect_stablecoin_to_prc_individual if harness.passes(cases.test_cn_ban_effect_stablecoin_to_prc_individual)

test_cn_ban_effect_from_prc_individual if harness.passes(cases.test_cn_ban_effect_from_prc_individual)

test_cn_ban_effect_tokenized_deposit_allowed if harness.passes(cases.test_cn_ban_effect_tokenized_deposit_allowed)

test_cn_ban_effect_to_prc_institution_not_individual if harness.passes(cases.test_cn_ban_effect_to_prc_institution_not_individual)

test_cn_ban_direct_transfer_to_prc_individual if harness.passes(cases.test_cn_ban_direct_transfer_to_prc_individual)

test_cn_fx_quota_effects_at_quota if harness.passes(cases.test_cn_fx_quota_effects_at_quota)

test_cn_fx_quota_effects_exceeded if harness.passes(cases.test_cn_fx_quota_effects_exceeded)

test_effects_no_simulation_field if harness.passes(cases.test_effects_no_simulation_field)
