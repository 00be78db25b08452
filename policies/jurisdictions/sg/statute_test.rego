# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.sg.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

lion := fx.subject("lion-sg", "SG", "institution")

tan := fx.address_of("lion-sg", "individual")

send(sgd) := data.tests.fixtures.transfer(lion, data.tests.fixtures.acct5, tan, "stablecoin", data.tests.fixtures.usd(sgd, "SGD"))

# MAS Notice PSN02 para. 13: names and accounts always, full originator data from S$1,500.
names_only(sgd) := data.tests.fixtures.with_payload_of(send(sgd), data.tests.fixtures.name_only, data.tests.fixtures.name_only)

cases := {
	"test_sg_statute_travel_rule_from_sgd_0_01": {"input": send(0.01), "in": "SG", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_sg_statute_full_data_below_sgd_1500": {"input": names_only(1499.99), "in": "SG", "codes": []},
	"test_sg_statute_full_data_at_sgd_1500": {"input": names_only(1500), "in": "SG", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_sg_statute_full_data_above_sgd_1500": {"input": names_only(1500.01), "in": "SG", "codes": ["TRAVEL_RULE_INVALID"]},
}

# ---- tests (one per case) ----

test_sg_statute_travel_rule_from_sgd_0_01 if harness.passes(cases.test_sg_statute_travel_rule_from_sgd_0_01)

test_sg_statute_full_data_below_sgd_1500 if harness.passes(cases.test_sg_statute_full_data_below_sgd_1500)

test_sg_statute_full_data_at_sgd_1500 if harness.passes(cases.test_sg_statute_full_data_at_sgd_1500)

test_sg_statute_full_data_above_sgd_1500 if harness.passes(cases.test_sg_statute_full_data_above_sgd_1500)
