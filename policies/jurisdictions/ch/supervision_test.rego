package tests.jurisdictions.ch.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

alpine := fx.subject("alpine-ch", "CH", "institution")

mueller := fx.address_of("alpine-ch", "individual")

wallet := fx.with_payload(fx.transfer(alpine, fx.acct8, fx.acct7, "stablecoin", 0.01))

cases := {
	"test_ch_travel_rule_from_zero": {"input": fx.transfer(alpine, fx.acct8, mueller, "stablecoin", 0.01), "in": "CH", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_ch_travel_rule_valid_payload": {"input": fx.with_payload(fx.transfer(alpine, fx.acct8, mueller, "stablecoin", 0.01)), "allow": true},
	"test_ch_self_hosted_without_threshold": {"input": wallet, "in": "CH", "codes": ["SELF_HOSTED_UNVERIFIED"]},
	"test_ch_self_hosted_attested": {
		"input": fx.put(wallet, "travel_rule", fx.put(wallet.travel_rule, "beneficiary", fx.put(wallet.travel_rule.beneficiary, "selfHostedVerification", {"method": "micro_payment", "address": fx.acct7, "verifiedAt": "2026-01-15"}))),
		"in": "CH", "codes": [],
	},
	"test_ch_daily_limit_exceeded": {
		"input": fx.spent(fx.with_payload(fx.transfer(alpine, fx.acct8, mueller, "stablecoin", 100)), "CH", "person_daily_usd", fx.daily_usd("CH", "institution") - 99.99),
		"in": "CH", "codes": ["DAILY_LIMIT_EXCEEDED"],
	},
	"test_ch_travel_rule_needs_identifying_data": {"input": fx.with_payload_of(fx.transfer(alpine, fx.acct8, mueller, "stablecoin", 0.01), fx.name_only, fx.name_only), "in": "CH", "codes": ["TRAVEL_RULE_INVALID"]},
}

# ---- tests (one per case) ----

test_ch_travel_rule_from_zero if harness.passes(cases.test_ch_travel_rule_from_zero)

test_ch_travel_rule_valid_payload if harness.passes(cases.test_ch_travel_rule_valid_payload)

test_ch_self_hosted_without_threshold if harness.passes(cases.test_ch_self_hosted_without_threshold)

test_ch_self_hosted_attested if harness.passes(cases.test_ch_self_hosted_attested)

test_ch_daily_limit_exceeded if harness.passes(cases.test_ch_daily_limit_exceeded)

test_ch_travel_rule_needs_identifying_data if harness.passes(cases.test_ch_travel_rule_needs_identifying_data)
