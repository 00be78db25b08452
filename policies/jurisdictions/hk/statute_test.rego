# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.hk.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

harbour := fx.subject("harbour-hk", "HK", "vasp")

vatp := fx.address_of("harbour-hk", "vasp")

# AMLO Sch. 2 s. 13A / SFC AML Guideline ch. 12: HK$8,000 or more.
send(hkd) := data.tests.fixtures.transfer(harbour, vatp, vatp, "virtual_currency", data.tests.fixtures.usd(hkd, "HKD"))

cases := {
	"test_hk_statute_travel_rule_below_hkd_8000": {"input": send(7999.99), "in": "HK", "require_travel_rule": false, "codes": []},
	"test_hk_statute_travel_rule_at_hkd_8000": {"input": send(8000), "in": "HK", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_hk_statute_travel_rule_above_hkd_8000": {"input": send(8000.01), "in": "HK", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
}

# ---- tests (one per case) ----

test_hk_statute_travel_rule_below_hkd_8000 if harness.passes(cases.test_hk_statute_travel_rule_below_hkd_8000)

test_hk_statute_travel_rule_at_hkd_8000 if harness.passes(cases.test_hk_statute_travel_rule_at_hkd_8000)

test_hk_statute_travel_rule_above_hkd_8000 if harness.passes(cases.test_hk_statute_travel_rule_above_hkd_8000)
