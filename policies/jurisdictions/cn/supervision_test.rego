package tests.jurisdictions.cn.supervision

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

wang := fx.subject("panda-cn", "CN", "individual")

panda := fx.subject("panda-cn", "CN", "institution")

quota := fx.usd(data.reference.jurisdictions.CN.fx_quota.annual_individual, data.reference.jurisdictions.CN.fx_quota.currency)

report(i) := data.tests.fixtures.usd(data.reference.jurisdictions.CN.reports[i].threshold, data.reference.jurisdictions.CN.reports[i].currency)

abroad(usd) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(wang, data.tests.fixtures.acct2, data.tests.fixtures.acct0, "tokenized_deposit", usd))

home(usd) := data.tests.fixtures.transfer(wang, data.tests.fixtures.acct2, data.tests.fixtures.acct3, "tokenized_deposit", usd)

# A sending address the directory does not know: the caller's own funds.
unknown_sender(usd) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(wang, data.tests.fixtures.acct9, data.tests.fixtures.acct0, "tokenized_deposit", usd))

cases := {
	"test_cn_virtual_currency_banned": {"input": fx.transfer(wang, fx.acct2, fx.acct3, "virtual_currency", 10), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_stablecoin_banned": {"input": fx.transfer(panda, fx.acct3, fx.acct2, "stablecoin", 10), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_unregistered_token_banned": {"input": fx.transfer(panda, fx.acct3, fx.acct2, "unknown", 10), "in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"]},
	"test_cn_virtual_currency_approval_banned": {
		"input": fx.put2(fx.put2(fx.transfer(panda, fx.acct3, fx.acct2, "virtual_currency", 0), "tx", "token_call", "approve"), "tx", "token_transfer", false),
		"in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"],
	},
	"test_cn_tokenized_deposit_allowed": {"input": home(10), "allow": true},
	"test_cn_trade_document_allowed": {"input": fx.transfer(panda, fx.acct3, fx.acct2, "trade_document", 0), "allow": true},
	"test_cn_ban_recipient_prc_individual": {
		"input": fx.with_payload(fx.transfer(fx.subject("acme-us", "US", "institution"), fx.acct0, fx.acct2, "virtual_currency", 10)),
		"in": "CN", "codes": ["VIRTUAL_CURRENCY_BANNED"],
	},
	"test_cn_ban_follows_cn_party_only": {
		"input": fx.with_payload(fx.transfer(fx.subject("acme-us", "US", "institution"), fx.acct0, fx.acct3, "virtual_currency", 10)),
		"in": "CN", "codes": [],
	},
	"test_cn_fx_quota_at_quota": {"input": fx.spent(abroad(100), "CN", "person_annual_cross_border_usd", quota - 100), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_fx_quota_exceeded": {"input": fx.spent(abroad(100.01), "CN", "person_annual_cross_border_usd", quota - 100), "in": "CN", "has": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_fx_quota_single_transfer_over": {"input": abroad(quota + 0.01), "in": "CN", "has": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_fx_quota_domestic_not_counted": {"input": fx.spent(home(100), "CN", "person_annual_cross_border_usd", quota), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_fx_quota_institutions_exempt": {
		"input": fx.spent(fx.with_payload(fx.transfer(panda, fx.acct3, fx.acct0, "tokenized_deposit", 100)), "CN", "person_annual_cross_border_usd", quota),
		"in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"],
	},
	"test_cn_cross_border_individual_report_just_below": {"input": abroad(report(0) - 0.01), "in": "CN", "reports": []},
	"test_cn_cross_border_individual_report_at_threshold": {"input": abroad(report(0)), "in": "CN", "reports": ["large_value_cross_border_individual"]},
	"test_cn_domestic_individual_report_just_below": {"input": home(report(1) - 0.01), "in": "CN", "reports": []},
	"test_cn_domestic_individual_report_at_threshold": {"input": home(report(1)), "in": "CN", "reports": ["large_value_domestic_individual"]},
	"test_cn_institution_report_just_below": {"input": fx.transfer(panda, fx.acct3, fx.acct2, "tokenized_deposit", report(2) - 0.01), "in": "CN", "reports": []},
	"test_cn_institution_report_at_threshold": {"input": fx.transfer(panda, fx.acct3, fx.acct2, "tokenized_deposit", report(2)), "in": "CN", "reports": ["large_value_institution"]},
	"test_cn_daily_limit_just_below": {"input": fx.spent(home(100), "CN", "person_daily_usd", fx.daily_usd("CN", "individual") - 100.01), "in": "CN", "lacks": ["DAILY_LIMIT_EXCEEDED"]},
	"test_cn_daily_limit_exceeded": {"input": fx.spent(home(100), "CN", "person_daily_usd", fx.daily_usd("CN", "individual") - 99.99), "in": "CN", "has": ["DAILY_LIMIT_EXCEEDED"]},
	"test_cn_no_travel_rule_configured": {"input": home(1000000), "in": "CN", "lacks": ["TRAVEL_RULE_MISSING"]},
	"test_cn_fx_quota_unknown_sender_counts_the_callers": {"input": fx.spent(unknown_sender(100.01), "CN", "person_annual_cross_border_usd", quota - 100), "in": "CN", "has": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_fx_quota_unknown_sender_institution_caller": {"input": fx.spent(fx.with_payload(fx.transfer(panda, fx.acct9, fx.acct0, "tokenized_deposit", 100.01)), "CN", "person_annual_cross_border_usd", quota), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
}

# ---- tests (one per case) ----

test_cn_virtual_currency_banned if harness.passes(cases.test_cn_virtual_currency_banned)

test_cn_stablecoin_banned if harness.passes(cases.test_cn_stablecoin_banned)

test_cn_unregistered_token_banned if harness.passes(cases.test_cn_unregistered_token_banned)

test_cn_virtual_currency_approval_banned if harness.passes(cases.test_cn_virtual_currency_approval_banned)

test_cn_tokenized_deposit_allowed if harness.passes(cases.test_cn_tokenized_deposit_allowed)

test_cn_trade_document_allowed if harness.passes(cases.test_cn_trade_document_allowed)

test_cn_ban_follows_cn_party_only if harness.passes(cases.test_cn_ban_follows_cn_party_only)

test_cn_ban_recipient_prc_individual if harness.passes(cases.test_cn_ban_recipient_prc_individual)

test_cn_fx_quota_at_quota if harness.passes(cases.test_cn_fx_quota_at_quota)

test_cn_fx_quota_exceeded if harness.passes(cases.test_cn_fx_quota_exceeded)

test_cn_fx_quota_single_transfer_over if harness.passes(cases.test_cn_fx_quota_single_transfer_over)

test_cn_fx_quota_domestic_not_counted if harness.passes(cases.test_cn_fx_quota_domestic_not_counted)

test_cn_fx_quota_institutions_exempt if harness.passes(cases.test_cn_fx_quota_institutions_exempt)

test_cn_cross_border_individual_report_just_below if harness.passes(cases.test_cn_cross_border_individual_report_just_below)

test_cn_cross_border_individual_report_at_threshold if harness.passes(cases.test_cn_cross_border_individual_report_at_threshold)

test_cn_domestic_individual_report_just_below if harness.passes(cases.test_cn_domestic_individual_report_just_below)

test_cn_domestic_individual_report_at_threshold if harness.passes(cases.test_cn_domestic_individual_report_at_threshold)

test_cn_institution_report_just_below if harness.passes(cases.test_cn_institution_report_just_below)

test_cn_institution_report_at_threshold if harness.passes(cases.test_cn_institution_report_at_threshold)

test_cn_daily_limit_just_below if harness.passes(cases.test_cn_daily_limit_just_below)

test_cn_daily_limit_exceeded if harness.passes(cases.test_cn_daily_limit_exceeded)

test_cn_no_travel_rule_configured if harness.passes(cases.test_cn_no_travel_rule_configured)

test_cn_fx_quota_unknown_sender_counts_the_callers if harness.passes(cases.test_cn_fx_quota_unknown_sender_counts_the_callers)

test_cn_fx_quota_unknown_sender_institution_caller if harness.passes(cases.test_cn_fx_quota_unknown_sender_institution_caller)
