package tests.jurisdictions.us.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

acme := fx.subject("acme-us", "US", "institution")

jane := fx.subject("acme-us", "US", "individual")

# travel-rule threshold, large-value report threshold, institution daily limit (USD)
tr := fx.tr_usd("US", 0)

report := fx.usd(data.reference.jurisdictions.US.reports[0].threshold, data.reference.jurisdictions.US.reports[0].currency)

limit := fx.daily_usd("US", "institution")

dom(class, usd) := data.tests.fixtures.transfer(acme, data.tests.fixtures.acct0, data.tests.fixtures.acct0, class, usd)

approve := fx.put(fx.put2(fx.put2(dom("stablecoin", tr + 1), "tx", "token_call", "approve"), "tx", "token_transfer", false), "travel_rule", null)

cases := {
	"test_us_travel_rule_not_required_just_below": {"input": dom("stablecoin", tr - 0.01), "in": "US", "codes": [], "require_travel_rule": false},
	"test_us_travel_rule_missing_at_threshold": {"input": dom("stablecoin", tr), "in": "US", "codes": ["TRAVEL_RULE_MISSING"], "require_travel_rule": true},
	"test_us_travel_rule_missing_above_threshold": {"input": dom("tokenized_deposit", tr + 0.01), "in": "US", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_us_travel_rule_virtual_currency": {"input": dom("virtual_currency", tr), "in": "US", "codes": ["TRAVEL_RULE_MISSING"]},
	"test_us_travel_rule_valid_payload": {"input": fx.with_payload(dom("stablecoin", tr)), "allow": true, "require_travel_rule": true},
	"test_us_travel_rule_account_mismatch": {
		"input": fx.put(dom("stablecoin", tr), "travel_rule", fx.payload(fx.acct9, fx.acct0)),
		"in": "US", "codes": ["TRAVEL_RULE_INVALID"],
	},
	"test_us_travel_rule_originator_address_required": {
		"input": fx.with_payload_of(dom("stablecoin", tr), fx.name_only, fx.name_only),
		"in": "US", "codes": ["TRAVEL_RULE_INVALID"],
	},
	"test_us_travel_rule_header_errors": {
		"input": fx.put(dom("stablecoin", tr), "travel_rule_errors", ["X-Travel-Rule: not base64url"]),
		"in": "US", "codes": ["TRAVEL_RULE_INVALID"],
	},
	"test_us_travel_rule_errors_ignored_below_threshold": {
		"input": fx.put(dom("stablecoin", tr - 0.01), "travel_rule_errors", ["X-Travel-Rule: not base64url"]),
		"allow": true,
	},
	"test_us_travel_rule_not_for_security_tokens": {"input": dom("security_token", tr + 1), "in": "US", "lacks": ["TRAVEL_RULE_MISSING"]},
	"test_us_travel_rule_not_for_trade_documents": {"input": dom("trade_document", tr + 1), "allow": true},
	"test_us_travel_rule_unvalued_token": {"input": fx.put2(dom("stablecoin", 0), "tx", "rate_known", false), "in": "US", "has": ["TRAVEL_RULE_MISSING"]},
	"test_us_travel_rule_approve_exempt": {"input": approve, "allow": true},
	"test_us_large_value_report_at_threshold_not_due": {"input": dom("security_token", report), "reports": []},
	"test_us_large_value_report_above_threshold": {"input": dom("security_token", report + 0.01), "allow": true, "reports": ["large_value"]},
	"test_us_daily_limit_at_limit": {"input": fx.spent(dom("security_token", 100), "US", "person_daily_usd", limit - 100), "allow": true},
	"test_us_daily_limit_exceeded": {"input": fx.spent(dom("security_token", 100.01), "US", "person_daily_usd", limit - 100), "in": "US", "codes": ["DAILY_LIMIT_EXCEEDED"]},
	"test_us_daily_limit_individual": {
		"input": fx.spent(fx.transfer(jane, fx.acct1, fx.acct1, "security_token", 10), "US", "person_daily_usd", fx.daily_usd("US", "individual")),
		"in": "US", "has": ["DAILY_LIMIT_EXCEEDED"],
	},
	"test_us_unvalued_asset_exceeds_daily_limit": {
		"input": fx.put2(dom("security_token", 0), "tx", "rate_known", false),
		"in": "US", "codes": ["DAILY_LIMIT_EXCEEDED"],
	},
}

# ---- tests (one per case) ----

test_us_travel_rule_not_required_just_below if harness.passes(cases.test_us_travel_rule_not_required_just_below)

test_us_travel_rule_missing_at_threshold if harness.passes(cases.test_us_travel_rule_missing_at_threshold)

test_us_travel_rule_missing_above_threshold if harness.passes(cases.test_us_travel_rule_missing_above_threshold)

test_us_travel_rule_virtual_currency if harness.passes(cases.test_us_travel_rule_virtual_currency)

test_us_travel_rule_valid_payload if harness.passes(cases.test_us_travel_rule_valid_payload)

test_us_travel_rule_account_mismatch if harness.passes(cases.test_us_travel_rule_account_mismatch)

test_us_travel_rule_originator_address_required if harness.passes(cases.test_us_travel_rule_originator_address_required)

test_us_travel_rule_header_errors if harness.passes(cases.test_us_travel_rule_header_errors)

test_us_travel_rule_errors_ignored_below_threshold if harness.passes(cases.test_us_travel_rule_errors_ignored_below_threshold)

test_us_travel_rule_not_for_security_tokens if harness.passes(cases.test_us_travel_rule_not_for_security_tokens)

test_us_travel_rule_not_for_trade_documents if harness.passes(cases.test_us_travel_rule_not_for_trade_documents)

test_us_travel_rule_unvalued_token if harness.passes(cases.test_us_travel_rule_unvalued_token)

test_us_travel_rule_approve_exempt if harness.passes(cases.test_us_travel_rule_approve_exempt)

test_us_large_value_report_at_threshold_not_due if harness.passes(cases.test_us_large_value_report_at_threshold_not_due)

test_us_large_value_report_above_threshold if harness.passes(cases.test_us_large_value_report_above_threshold)

test_us_daily_limit_at_limit if harness.passes(cases.test_us_daily_limit_at_limit)

test_us_daily_limit_exceeded if harness.passes(cases.test_us_daily_limit_exceeded)

test_us_daily_limit_individual if harness.passes(cases.test_us_daily_limit_individual)

test_us_unvalued_asset_exceeds_daily_limit if harness.passes(cases.test_us_unvalued_asset_exceeds_daily_limit)
