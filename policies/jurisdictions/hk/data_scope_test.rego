# Hong Kong has no cross-border personal-data rule in force (PDPO s. 33): an HK individual's
# data read from abroad is neither redacted nor refused by HK.
package tests.jurisdictions.hk.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

chan := fx.address_of("harbour-hk", "individual")

abroad := fx.subject("sakura-jp", "JP", "institution")

cases := {
	"test_hk_individual_logs_not_redacted_abroad": {"input": fx.reading(abroad, "eth_getLogs", [chan]), "allow": true, "redact": []},
	"test_hk_individual_opaque_read_allowed_abroad": {"input": fx.reading(abroad, "eth_getBalance", [chan]), "allow": true},
	"test_hk_foreign_regulator_not_refused": {"input": fx.reading(fx.put(abroad, "roles", ["regulator"]), "eth_getLogs", [chan]), "allow": true, "redact": []},
}

# ---- tests (one per case) ----

test_hk_individual_logs_not_redacted_abroad if harness.passes(cases.test_hk_individual_logs_not_redacted_abroad)

test_hk_individual_opaque_read_allowed_abroad if harness.passes(cases.test_hk_individual_opaque_read_allowed_abroad)

test_hk_foreign_regulator_not_refused if harness.passes(cases.test_hk_foreign_regulator_not_refused)
