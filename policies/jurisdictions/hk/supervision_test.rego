package tests.jurisdictions.hk.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

harbour := fx.subject("harbour-hk", "HK", "vasp")

vatp := fx.address_of("harbour-hk", "vasp")

tr := fx.tr_usd("HK", 0)

send(usd) := data.tests.fixtures.transfer(harbour, vatp, vatp, "virtual_currency", usd)

cases := {
	"test_hk_travel_rule_not_required_just_below": {"input": send(tr - 0.01), "in": "HK", "codes": [], "require_travel_rule": false},
	"test_hk_travel_rule_missing_at_threshold": {"input": send(tr), "in": "HK", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_hk_travel_rule_missing_above_threshold": {"input": send(tr + 0.01), "in": "HK", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_hk_travel_rule_valid_payload": {"input": fx.with_payload(send(tr)), "allow": true},
	"test_hk_travel_rule_needs_identifying_data": {"input": fx.with_payload_of(send(tr), fx.name_only, fx.name_only), "in": "HK", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_hk_daily_limit_exceeded": {"input": fx.spent(send(100), "HK", "person_daily_usd", fx.daily_usd("HK", "vasp") - 99.99), "in": "HK", "codes": ["DAILY_LIMIT_EXCEEDED"]},
	"test_hk_daily_limit_just_below": {"input": fx.spent(send(100), "HK", "person_daily_usd", fx.daily_usd("HK", "vasp") - 100.01), "in": "HK", "codes": []},
}

# ---- tests (one per case) ----

test_hk_travel_rule_not_required_just_below if harness.passes(cases.test_hk_travel_rule_not_required_just_below)

test_hk_travel_rule_missing_at_threshold if harness.passes(cases.test_hk_travel_rule_missing_at_threshold)

test_hk_travel_rule_missing_above_threshold if harness.passes(cases.test_hk_travel_rule_missing_above_threshold)

test_hk_travel_rule_valid_payload if harness.passes(cases.test_hk_travel_rule_valid_payload)

test_hk_travel_rule_needs_identifying_data if harness.passes(cases.test_hk_travel_rule_needs_identifying_data)

test_hk_daily_limit_exceeded if harness.passes(cases.test_hk_daily_limit_exceeded)

test_hk_daily_limit_just_below if harness.passes(cases.test_hk_daily_limit_just_below)
