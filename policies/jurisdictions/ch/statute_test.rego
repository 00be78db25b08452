# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.ch.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

alpine := fx.subject("alpine-ch", "CH", "institution")

mueller := fx.address_of("alpine-ch", "individual")

# AMLO-FINMA art. 10, FINMA Guidance 02/2019: no threshold.
tr(chf) := data.tests.fixtures.transfer(alpine, data.tests.fixtures.acct8, mueller, "stablecoin", data.tests.fixtures.usd(chf, "CHF"))

# FINMA Guidance 02/2019: external wallets of any amount need proven ownership.
wallet(chf) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(alpine, data.tests.fixtures.acct8, data.tests.fixtures.acct7, "stablecoin", data.tests.fixtures.usd(chf, "CHF")))

# AMLO-FINMA: virtual-currency exchange from CHF 1,000, transactions linked over 30 days. The
# customer (Mueller's account) is not identified; `already` CHF moved in the last 30 days.
unidentified(already, chf) := data.tests.fixtures.put2(linked(already, chf), "parties", "sender", object.union(data.tests.fixtures.entity(mueller), {"kyc": "pending"}))

linked(already, chf) := data.tests.fixtures.put2(data.tests.fixtures.with_payload(data.tests.fixtures.transfer(data.tests.fixtures.subject("alpine-ch", "CH", "individual"), mueller, data.tests.fixtures.acct8, "stablecoin", data.tests.fixtures.usd(chf, "CHF"))), "aggregates", "person_30d_usd", data.tests.fixtures.usd(already, "CHF"))

cases := {
	"test_ch_statute_travel_rule_from_chf_0_01": {"input": tr(0.01), "in": "CH", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_ch_statute_self_hosted_from_chf_0_01": {"input": wallet(0.01), "in": "CH", "codes": ["SELF_HOSTED_UNVERIFIED"]},
	"test_ch_statute_identification_below_chf_1000": {"input": unidentified(600, 399.99), "in": "CH", "lacks": ["IDENTIFICATION_REQUIRED"]},
	"test_ch_statute_identification_at_chf_1000": {"input": unidentified(600, 400), "in": "CH", "has": ["IDENTIFICATION_REQUIRED"]},
	"test_ch_statute_identification_above_chf_1000": {"input": unidentified(600, 400.01), "in": "CH", "has": ["IDENTIFICATION_REQUIRED"]},
	"test_ch_statute_identified_customer_passes": {"input": linked(600, 5000), "in": "CH", "lacks": ["IDENTIFICATION_REQUIRED"]},
	"test_ch_statute_identification_not_for_deposits": {"input": data.tests.fixtures.put2(unidentified(600, 5000), "tx", "asset", data.tests.fixtures.asset_of_class.tokenized_deposit), "in": "CH", "lacks": ["IDENTIFICATION_REQUIRED"]},
}

# ---- tests (one per case) ----

test_ch_statute_travel_rule_from_chf_0_01 if harness.passes(cases.test_ch_statute_travel_rule_from_chf_0_01)

test_ch_statute_self_hosted_from_chf_0_01 if harness.passes(cases.test_ch_statute_self_hosted_from_chf_0_01)

test_ch_statute_identification_below_chf_1000 if harness.passes(cases.test_ch_statute_identification_below_chf_1000)

test_ch_statute_identification_at_chf_1000 if harness.passes(cases.test_ch_statute_identification_at_chf_1000)

test_ch_statute_identification_above_chf_1000 if harness.passes(cases.test_ch_statute_identification_above_chf_1000)

test_ch_statute_identified_customer_passes if harness.passes(cases.test_ch_statute_identified_customer_passes)

test_ch_statute_identification_not_for_deposits if harness.passes(cases.test_ch_statute_identification_not_for_deposits)
