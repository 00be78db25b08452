# The UAE PDPL excludes banking and credit data with its own legislation (art. 2(2)): an AE
# individual's ledger data read from abroad is neither redacted nor refused by AE.
package tests.jurisdictions.ae.data_scope

import rego.v1

import data.tests.fixtures as fx
import data.tests.harness

fatima := fx.address_of("falcon-ae", "individual")

abroad := fx.subject("sakura-jp", "JP", "institution")

cases := {
	"test_ae_individual_logs_not_redacted_abroad": {"input": fx.reading(abroad, "eth_getLogs", [fatima]), "allow": true, "redact": []},
	"test_ae_individual_opaque_read_allowed_abroad": {"input": fx.reading(abroad, "eth_call", [fatima]), "allow": true},
	"test_ae_foreign_regulator_not_refused": {"input": fx.reading(fx.put(abroad, "roles", ["regulator"]), "eth_getLogs", [fatima]), "allow": true, "redact": []},
}

# ---- tests (one per case) ----

test_ae_individual_logs_not_redacted_abroad if harness.passes(cases.test_ae_individual_logs_not_redacted_abroad)

test_ae_individual_opaque_read_allowed_abroad if harness.passes(cases.test_ae_individual_opaque_read_allowed_abroad)

test_ae_foreign_regulator_not_refused if harness.passes(cases.test_ae_foreign_regulator_not_refused)
