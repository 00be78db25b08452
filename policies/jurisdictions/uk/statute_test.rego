# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json (EUR -> GBP) fails one of these.
package tests.jurisdictions.uk.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

oliver := fx.subject("thames-uk", "GB", "individual")

thames := fx.address_of("thames-uk", "institution")

send(eur) := data.tests.fixtures.transfer(oliver, data.tests.fixtures.acct6, thames, "stablecoin", data.tests.fixtures.usd(eur, "EUR"))

# MLR 2017 Part 7A: names and accounts always, full originator data from EUR 1,000.
names_only(eur) := data.tests.fixtures.with_payload_of(send(eur), data.tests.fixtures.name_only, data.tests.fixtures.name_only)

cases := {
	"test_uk_statute_travel_rule_from_eur_0_01": {"input": send(0.01), "in": "UK", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_uk_statute_full_data_below_eur_1000": {"input": names_only(999.99), "in": "UK", "codes": []},
	"test_uk_statute_full_data_at_eur_1000": {"input": names_only(1000), "in": "UK", "codes": ["TRAVEL_RULE_INVALID"]},
	"test_uk_statute_full_data_above_eur_1000": {"input": names_only(1000.01), "in": "UK", "codes": ["TRAVEL_RULE_INVALID"]},
}

# ---- tests (one per case) ----

test_uk_statute_travel_rule_from_eur_0_01 if harness.passes(cases.test_uk_statute_travel_rule_from_eur_0_01)

test_uk_statute_full_data_below_eur_1000 if harness.passes(cases.test_uk_statute_full_data_below_eur_1000)

test_uk_statute_full_data_at_eur_1000 if harness.passes(cases.test_uk_statute_full_data_at_eur_1000)

test_uk_statute_full_data_above_eur_1000 if harness.passes(cases.test_uk_statute_full_data_above_eur_1000)
