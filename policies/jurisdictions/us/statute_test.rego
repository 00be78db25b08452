# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json (3,000 -> 250, USD -> EUR) fails one of these.
package tests.jurisdictions.us.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

# USD 3,000 or more: 31 CFR 1010.410(f).
tr(usd_amount) := data.tests.fixtures.transfer(acme, data.tests.fixtures.acct0, data.tests.fixtures.acct0, "stablecoin", data.tests.fixtures.usd(usd_amount, "USD"))

# More than USD 10,000: 31 CFR 1010.311.
ctr(usd_amount) := data.tests.fixtures.transfer(acme, data.tests.fixtures.acct0, data.tests.fixtures.acct0, "security_token", data.tests.fixtures.usd(usd_amount, "USD"))

cases := {
	"test_us_statute_travel_rule_below_usd_3000": {"input": tr(2999.99), "in": "US", "require_travel_rule": false, "codes": []},
	"test_us_statute_travel_rule_at_usd_3000": {"input": tr(3000), "in": "US", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_us_statute_travel_rule_above_usd_3000": {"input": tr(3000.01), "in": "US", "require_travel_rule": true, "codes": ["TRAVEL_RULE_MISSING"]},
	"test_us_statute_report_below_usd_10000": {"input": ctr(9999.99), "in": "US", "reports": []},
	"test_us_statute_report_at_usd_10000": {"input": ctr(10000), "in": "US", "reports": []},
	"test_us_statute_report_above_usd_10000": {"input": ctr(10000.01), "in": "US", "reports": ["large_value"]},
}

# ---- tests (one per case) ----

test_us_statute_travel_rule_below_usd_3000 if harness.passes(cases.test_us_statute_travel_rule_below_usd_3000)

test_us_statute_travel_rule_at_usd_3000 if harness.passes(cases.test_us_statute_travel_rule_at_usd_3000)

test_us_statute_travel_rule_above_usd_3000 if harness.passes(cases.test_us_statute_travel_rule_above_usd_3000)

test_us_statute_report_below_usd_10000 if harness.passes(cases.test_us_statute_report_below_usd_10000)

test_us_statute_report_at_usd_10000 if harness.passes(cases.test_us_statute_report_at_usd_10000)

test_us_statute_report_above_usd_10000 if harness.passes(cases.test_us_statute_report_above_usd_10000)
