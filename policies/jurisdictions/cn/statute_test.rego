# Statutory figures pinned as literals in their own currency (not read from the data under
# test): a typo in data/jurisdictions.json fails one of these.
package tests.jurisdictions.cn.statute

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

wang := fx.subject("panda-cn", "CN", "individual")

panda := fx.subject("panda-cn", "CN", "institution")

# PBOC Order [2016] No. 3 art. 5(4): natural person, cross-border, USD 10,000 or more.
abroad(usd_amount) := data.tests.fixtures.with_payload(data.tests.fixtures.transfer(wang, data.tests.fixtures.acct2, data.tests.fixtures.acct0, "tokenized_deposit", data.tests.fixtures.usd(usd_amount, "USD")))

# Art. 5(3): natural person, domestic, RMB 500,000 or more.
home(cny) := data.tests.fixtures.transfer(wang, data.tests.fixtures.acct2, data.tests.fixtures.acct3, "tokenized_deposit", data.tests.fixtures.usd(cny, "CNY"))

# Art. 5(2): non-natural person, USD 200,000 or more.
firm(usd_amount) := data.tests.fixtures.transfer(panda, data.tests.fixtures.acct3, data.tests.fixtures.acct2, "tokenized_deposit", data.tests.fixtures.usd(usd_amount, "USD"))

# SAFE Huifa [2007] No. 1 art. 2: USD 50,000 per person per calendar year.
quota(already, usd_amount) := data.tests.fixtures.spent(abroad(usd_amount), "CN", "person_annual_cross_border_usd", data.tests.fixtures.usd(already, "USD"))

# Art. 5: single transfers or the day's cumulative total (China Standard Time) of the customer,
# counted on the outgoing side. `already` USD cross-border (or CNY domestic) spent today.
split_abroad(already, usd_amount) := data.tests.fixtures.spent(data.tests.fixtures.spent(abroad(usd_amount), "CN", "person_daily_cross_border_usd", data.tests.fixtures.usd(already, "USD")), "CN", "person_daily_usd", data.tests.fixtures.usd(already, "USD"))

split_home(already, cny) := data.tests.fixtures.spent(home(cny), "CN", "person_daily_usd", data.tests.fixtures.usd(already, "CNY"))

# An institution caller moving a mainland individual's funds abroad: the individual's quota.
for_wang(already, usd_amount) := data.tests.fixtures.spent(data.tests.fixtures.with_payload(data.tests.fixtures.transfer(panda, data.tests.fixtures.acct2, data.tests.fixtures.acct0, "tokenized_deposit", data.tests.fixtures.usd(usd_amount, "USD"))), "CN", "person_annual_cross_border_usd", data.tests.fixtures.usd(already, "USD"))

# Art. 5(2) cumulative: the institution's transfers of the day, `already` USD.
split_firm(already, usd_amount) := data.tests.fixtures.spent(firm(usd_amount), "CN", "person_daily_usd", data.tests.fixtures.usd(already, "USD"))

cases := {
	"test_cn_statute_cross_border_report_below_usd_10000": {"input": abroad(9999.99), "in": "CN", "reports": []},
	"test_cn_statute_cross_border_report_at_usd_10000": {"input": abroad(10000), "in": "CN", "reports": ["large_value_cross_border_individual"]},
	"test_cn_statute_cross_border_report_above_usd_10000": {"input": abroad(10000.01), "in": "CN", "reports": ["large_value_cross_border_individual"]},
	"test_cn_statute_domestic_report_below_cny_500000": {"input": home(499999.99), "in": "CN", "reports": []},
	"test_cn_statute_domestic_report_at_cny_500000": {"input": home(500000), "in": "CN", "reports": ["large_value_domestic_individual"]},
	"test_cn_statute_domestic_report_above_cny_500000": {"input": home(500000.01), "in": "CN", "reports": ["large_value_domestic_individual"]},
	"test_cn_statute_institution_report_below_usd_200000": {"input": firm(199999.99), "in": "CN", "reports": []},
	"test_cn_statute_institution_report_at_usd_200000": {"input": firm(200000), "in": "CN", "reports": ["large_value_institution"]},
	"test_cn_statute_institution_report_above_usd_200000": {"input": firm(200000.01), "in": "CN", "reports": ["large_value_institution"]},
	"test_cn_statute_fx_quota_below_usd_50000": {"input": quota(49000, 999.99), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_statute_fx_quota_at_usd_50000": {"input": quota(49000, 1000), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_statute_fx_quota_above_usd_50000": {"input": quota(49000, 1000.01), "in": "CN", "has": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_statute_split_cross_border_below_usd_10000": {"input": split_abroad(6000, 3999.99), "in": "CN", "reports": []},
	"test_cn_statute_split_cross_border_at_usd_10000": {"input": split_abroad(6000, 4000), "in": "CN", "reports": ["large_value_cross_border_individual"]},
	"test_cn_statute_split_cross_border_above_usd_10000": {"input": split_abroad(6000, 4000.01), "in": "CN", "reports": ["large_value_cross_border_individual"]},
	"test_cn_statute_split_domestic_below_cny_500000": {"input": split_home(300000, 199999.99), "in": "CN", "reports": []},
	"test_cn_statute_split_domestic_at_cny_500000": {"input": split_home(300000, 200000), "in": "CN", "reports": ["large_value_domestic_individual"]},
	"test_cn_statute_split_domestic_above_cny_500000": {"input": split_home(300000, 200000.01), "in": "CN", "reports": ["large_value_domestic_individual"]},
	"test_cn_statute_domestic_spend_not_cumulated_abroad": {"input": data.tests.fixtures.spent(abroad(1000), "CN", "person_daily_usd", data.tests.fixtures.usd(9000, "USD")), "in": "CN", "reports": []},
	"test_cn_statute_fx_quota_for_individual_funds_at_usd_50000": {"input": for_wang(49000, 1000), "in": "CN", "lacks": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_statute_fx_quota_for_individual_funds_above_usd_50000": {"input": for_wang(49000, 1000.01), "in": "CN", "has": ["FX_QUOTA_EXCEEDED"]},
	"test_cn_statute_split_institution_below_usd_200000": {"input": split_firm(150000, 49999.99), "in": "CN", "reports": []},
	"test_cn_statute_split_institution_at_usd_200000": {"input": split_firm(150000, 50000), "in": "CN", "reports": ["large_value_institution"]},
	"test_cn_statute_split_institution_above_usd_200000": {"input": split_firm(150000, 50000.01), "in": "CN", "reports": ["large_value_institution"]},
}

# ---- tests (one per case) ----

test_cn_statute_cross_border_report_below_usd_10000 if harness.passes(cases.test_cn_statute_cross_border_report_below_usd_10000)

test_cn_statute_cross_border_report_at_usd_10000 if harness.passes(cases.test_cn_statute_cross_border_report_at_usd_10000)

test_cn_statute_cross_border_report_above_usd_10000 if harness.passes(cases.test_cn_statute_cross_border_report_above_usd_10000)

test_cn_statute_domestic_report_below_cny_500000 if harness.passes(cases.test_cn_statute_domestic_report_below_cny_500000)

test_cn_statute_domestic_report_at_cny_500000 if harness.passes(cases.test_cn_statute_domestic_report_at_cny_500000)

test_cn_statute_domestic_report_above_cny_500000 if harness.passes(cases.test_cn_statute_domestic_report_above_cny_500000)

test_cn_statute_institution_report_below_usd_200000 if harness.passes(cases.test_cn_statute_institution_report_below_usd_200000)

test_cn_statute_institution_report_at_usd_200000 if harness.passes(cases.test_cn_statute_institution_report_at_usd_200000)

test_cn_statute_institution_report_above_usd_200000 if harness.passes(cases.test_cn_statute_institution_report_above_usd_200000)

test_cn_statute_fx_quota_below_usd_50000 if harness.passes(cases.test_cn_statute_fx_quota_below_usd_50000)

test_cn_statute_fx_quota_at_usd_50000 if harness.passes(cases.test_cn_statute_fx_quota_at_usd_50000)

test_cn_statute_fx_quota_above_usd_50000 if harness.passes(cases.test_cn_statute_fx_quota_above_usd_50000)

test_cn_statute_split_cross_border_below_usd_10000 if harness.passes(cases.test_cn_statute_split_cross_border_below_usd_10000)

test_cn_statute_split_cross_border_at_usd_10000 if harness.passes(cases.test_cn_statute_split_cross_border_at_usd_10000)

test_cn_statute_split_cross_border_above_usd_10000 if harness.passes(cases.test_cn_statute_split_cross_border_above_usd_10000)

test_cn_statute_split_domestic_below_cny_500000 if harness.passes(cases.test_cn_statute_split_domestic_below_cny_500000)

test_cn_statute_split_domestic_at_cny_500000 if harness.passes(cases.test_cn_statute_split_domestic_at_cny_500000)

test_cn_statute_split_domestic_above_cny_500000 if harness.passes(cases.test_cn_statute_split_domestic_above_cny_500000)

test_cn_statute_domestic_spend_not_cumulated_abroad if harness.passes(cases.test_cn_statute_domestic_spend_not_cumulated_abroad)

test_cn_statute_fx_quota_for_individual_funds_at_usd_50000 if harness.passes(cases.test_cn_statute_fx_quota_for_individual_funds_at_usd_50000)

test_cn_statute_fx_quota_for_individual_funds_above_usd_50000 if harness.passes(cases.test_cn_statute_fx_quota_for_individual_funds_above_usd_50000)

test_cn_statute_split_institution_below_usd_200000 if harness.passes(cases.test_cn_statute_split_institution_below_usd_200000)

test_cn_statute_split_institution_at_usd_200000 if harness.passes(cases.test_cn_statute_split_institution_at_usd_200000)

test_cn_statute_split_institution_above_usd_200000 if harness.passes(cases.test_cn_statute_split_institution_above_usd_200000)
