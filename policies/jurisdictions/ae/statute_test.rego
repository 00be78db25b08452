# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.ae.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

falcon := fx.subject("falcon-ae", "AE", "institution")

treasury := fx.address_of("falcon-ae", "institution")

# Cabinet Resolution 10/2019 art. 33 bis(3): AED 3,500 or more.
send(aed) := data.tests.fixtures.transfer(falcon, treasury, treasury, "stablecoin", data.tests.fixtures.usd(aed, "AED"))

cases := {
	"test_ae_statute_travel_rule_below_aed_3500": {"input": send(3499.99), "in": "AE", "require_travel_rule": false, "codes": []},
	"test_ae_statute_travel_rule_at_aed_3500": {"input": send(3500), "in": "AE", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_ae_statute_travel_rule_above_aed_3500": {"input": send(3500.01), "in": "AE", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
}

# ---- tests (one per case) ----

test_ae_statute_travel_rule_below_aed_3500 if harness.passes(cases.test_ae_statute_travel_rule_below_aed_3500)

test_ae_statute_travel_rule_at_aed_3500 if harness.passes(cases.test_ae_statute_travel_rule_at_aed_3500)

test_ae_statute_travel_rule_above_aed_3500 if harness.passes(cases.test_ae_statute_travel_rule_above_aed_3500)
