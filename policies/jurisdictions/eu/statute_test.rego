# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.eu.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

hanse := fx.subject("hanse-de", "DE", "institution")

anna := fx.address_of("hanse-de", "individual")

# No de minimis: Reg (EU) 2023/1113 art. 14(1)-(2).
tr(eur) := data.tests.fixtures.transfer(hanse, data.tests.fixtures.acct4, anna, "stablecoin", data.tests.fixtures.usd(eur, "EUR"))

# Exceeding EUR 1,000 to a self-hosted address: art. 14(5).
wallet(eur) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(hanse, data.tests.fixtures.acct4, data.tests.fixtures.acct7, "stablecoin", data.tests.fixtures.usd(eur, "EUR")))

cases := {
	"test_eu_statute_travel_rule_from_eur_0_01": {"input": tr(0.01), "in": "EU", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_eu_statute_self_hosted_below_eur_1000": {"input": wallet(999.99), "in": "EU", "codes": []},
	"test_eu_statute_self_hosted_at_eur_1000": {"input": wallet(1000), "in": "EU", "codes": []},
	"test_eu_statute_self_hosted_above_eur_1000": {"input": wallet(1000.01), "in": "EU", "codes": ["SELF_HOSTED_UNVERIFIED"]},
}

# ---- tests (one per case) ----

test_eu_statute_travel_rule_from_eur_0_01 if harness.passes(cases.test_eu_statute_travel_rule_from_eur_0_01)

test_eu_statute_self_hosted_below_eur_1000 if harness.passes(cases.test_eu_statute_self_hosted_below_eur_1000)

test_eu_statute_self_hosted_at_eur_1000 if harness.passes(cases.test_eu_statute_self_hosted_at_eur_1000)

test_eu_statute_self_hosted_above_eur_1000 if harness.passes(cases.test_eu_statute_self_hosted_above_eur_1000)
