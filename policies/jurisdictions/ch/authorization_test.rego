package tests.jurisdictions.ch.authorization

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

alpine := fx.subject("alpine-ch", "CH", "institution")

cases := {
	"test_ch_unknown_counterparty_refused": {"input": fx.with_payload(fx.transfer(alpine, fx.acct8, fx.acct9, "stablecoin", 1)), "in": "CH", "codes": ["UNKNOWN_COUNTERPARTY"]},
	"test_ch_known_counterparty_allowed": {"input": fx.with_payload(fx.transfer(alpine, fx.acct8, fx.acct0, "stablecoin", 1)), "in": "CH", "codes": []},
}

# ---- tests (one per case) ----

test_ch_unknown_counterparty_refused if harness.passes(cases.test_ch_unknown_counterparty_refused)

test_ch_known_counterparty_allowed if harness.passes(cases.test_ch_known_counterparty_allowed)
