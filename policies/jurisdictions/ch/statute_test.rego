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

cases := {
	"test_ch_statute_travel_rule_from_chf_0_01": {"input": tr(0.01), "in": "CH", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_ch_statute_self_hosted_from_chf_0_01": {"input": wallet(0.01), "in": "CH", "codes": ["SELF_HOSTED_UNVERIFIED"]},
}

# ---- tests (one per case) ----

test_ch_statute_travel_rule_from_chf_0_01 if harness.passes(cases.test_ch_statute_travel_rule_from_chf_0_01)

test_ch_statute_self_hosted_from_chf_0_01 if harness.passes(cases.test_ch_statute_self_hosted_from_chf_0_01)
