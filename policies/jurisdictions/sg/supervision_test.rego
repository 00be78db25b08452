package tests.jurisdictions.sg.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

lion := fx.subject("lion-sg", "SG", "institution")

tan := fx.address_of("lion-sg", "individual")

full := fx.tr_usd("SG", 1)

send(usd) := data.tests.fixtures.transfer(lion, data.tests.fixtures.acct5, tan, "stablecoin", usd)

basic(usd) := data.tests.fixtures.with_payload_of(send(usd), data.tests.fixtures.name_only, data.tests.fixtures.name_only)

cases := {
	"test_sg_travel_rule_every_value_transfer": {"input": send(0.01), "in": "SG", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_sg_names_suffice_just_below_sgd_1500": {"input": basic(full - 0.01), "allow": true},
	"test_sg_full_data_at_sgd_1500": {"input": basic(full), "in": "SG", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_sg_full_data_above_sgd_1500": {"input": basic(full + 0.01), "in": "SG", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_sg_full_payload_above_sgd_1500": {"input": fx.with_payload(send(full + 0.01)), "allow": true},
	"test_sg_inbound_transfer_needs_travel_rule": {
		"input": fx.transfer(fx.subject("acme-us", "US", "institution"), fx.acct0, fx.acct5, "stablecoin", 1),
		"in": "SG", "codes": ["TRAVEL_RULE_MISSING"],
	},
	"test_sg_daily_limit_exceeded": {
		"input": fx.spent(fx.with_payload(send(100)), "SG", "person_daily_usd", fx.daily_usd("SG", "institution") - 99.99),
		"in": "SG", "codes": ["DAILY_LIMIT_EXCEEDED"],
	},
}

# ---- tests (one per case) ----

test_sg_travel_rule_every_value_transfer if harness.passes(cases.test_sg_travel_rule_every_value_transfer)

test_sg_names_suffice_just_below_sgd_1500 if harness.passes(cases.test_sg_names_suffice_just_below_sgd_1500)

test_sg_full_data_at_sgd_1500 if harness.passes(cases.test_sg_full_data_at_sgd_1500)

test_sg_full_data_above_sgd_1500 if harness.passes(cases.test_sg_full_data_above_sgd_1500)

test_sg_full_payload_above_sgd_1500 if harness.passes(cases.test_sg_full_payload_above_sgd_1500)

test_sg_inbound_transfer_needs_travel_rule if harness.passes(cases.test_sg_inbound_transfer_needs_travel_rule)

test_sg_daily_limit_exceeded if harness.passes(cases.test_sg_daily_limit_exceeded)
