package tests.jurisdictions.ae.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

falcon := fx.subject("falcon-ae", "AE", "institution")

treasury := fx.address_of("falcon-ae", "institution")

tr := fx.tr_usd("AE", 0)

send(usd) := data.tests.fixtures.transfer(falcon, treasury, treasury, "stablecoin", usd)

cases := {
	"test_ae_travel_rule_not_required_just_below": {"input": send(tr - 0.01), "in": "AE", "codes": []},
	"test_ae_travel_rule_missing_at_threshold": {"input": send(tr), "in": "AE", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_ae_travel_rule_missing_above_threshold": {"input": send(tr + 0.01), "in": "AE", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_ae_travel_rule_needs_address": {"input": fx.with_payload_of(send(tr), fx.name_only, fx.name_only), "in": "AE", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_ae_travel_rule_valid_payload": {"input": fx.with_payload(send(tr)), "allow": true},
	"test_ae_daily_limit_exceeded": {"input": fx.spent(send(100), "AE", "person_daily_usd", fx.daily_usd("AE", "institution") - 99.99), "in": "AE", "codes": ["DAILY_LIMIT_EXCEEDED"]},
}

# ---- tests (one per case) ----

test_ae_travel_rule_not_required_just_below if harness.passes(cases.test_ae_travel_rule_not_required_just_below)

test_ae_travel_rule_missing_at_threshold if harness.passes(cases.test_ae_travel_rule_missing_at_threshold)

test_ae_travel_rule_missing_above_threshold if harness.passes(cases.test_ae_travel_rule_missing_above_threshold)

test_ae_travel_rule_needs_address if harness.passes(cases.test_ae_travel_rule_needs_address)

test_ae_travel_rule_valid_payload if harness.passes(cases.test_ae_travel_rule_valid_payload)

test_ae_daily_limit_exceeded if harness.passes(cases.test_ae_daily_limit_exceeded)
