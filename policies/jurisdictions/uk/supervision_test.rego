package tests.jurisdictions.uk.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

oliver := fx.subject("thames-uk", "GB", "individual")

thames := fx.address_of("thames-uk", "institution")

full := fx.tr_usd("UK", 1)

send(usd) := data.tests.fixtures.transfer(oliver, data.tests.fixtures.acct6, thames, "stablecoin", usd)

basic(usd) := data.tests.fixtures.with_payload_of(send(usd), data.tests.fixtures.name_only, data.tests.fixtures.name_only)

cases := {
	"test_uk_travel_rule_every_transfer": {"input": send(0.01), "in": "UK", "codes": ["TRAVEL_RULE_MISSING"], "require_travel_rule": true},
	"test_uk_names_suffice_just_below_eur_1000": {"input": basic(full - 0.01), "allow": true},
	"test_uk_full_data_at_eur_1000": {"input": basic(full), "in": "UK", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_uk_full_data_above_eur_1000": {"input": basic(full + 0.01), "in": "UK", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_uk_full_payload_above_eur_1000": {"input": fx.with_payload(send(full + 0.01)), "allow": true},
	"test_uk_daily_limit_exceeded": {
		"input": fx.spent(fx.with_payload(send(100)), "UK", "person_daily_usd", fx.daily_usd("UK", "individual") - 99.99),
		"in": "UK", "codes": ["DAILY_LIMIT_EXCEEDED"],
	},
	"test_uk_daily_limit_just_below": {
		"input": fx.spent(fx.with_payload(send(100)), "UK", "person_daily_usd", fx.daily_usd("UK", "individual") - 100.01),
		"allow": true,
	},
}

# ---- tests (one per case) ----

test_uk_travel_rule_every_transfer if harness.passes(cases.test_uk_travel_rule_every_transfer)

test_uk_names_suffice_just_below_eur_1000 if harness.passes(cases.test_uk_names_suffice_just_below_eur_1000)

test_uk_full_data_at_eur_1000 if harness.passes(cases.test_uk_full_data_at_eur_1000)

test_uk_full_data_above_eur_1000 if harness.passes(cases.test_uk_full_data_above_eur_1000)

test_uk_full_payload_above_eur_1000 if harness.passes(cases.test_uk_full_payload_above_eur_1000)

test_uk_daily_limit_exceeded if harness.passes(cases.test_uk_daily_limit_exceeded)

test_uk_daily_limit_just_below if harness.passes(cases.test_uk_daily_limit_just_below)
