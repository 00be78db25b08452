# Singapore: data scope (cross-border personal data on reads). PDPA s. 26: comparable protection by contract, BCR or certification.
# Rules and lists: data/jurisdictions.json "SG".data_transfer, policies/lib/scope.rego.
package governance.jurisdictions.sg.data_scope

import rego.v1

import data.governance.lib.reasons
import data.governance.lib.scope

J := "SG"

# Personal data the caller may not receive is erased from the result ...
redact contains path if {
	scope.restricted(J)
	data.governance.lib.redaction.redactable
	some path in data.governance.lib.redaction.paths
}

# ... and a result that cannot be redacted member by member is refused.
deny contains reasons.make("CROSS_BORDER_TRANSFER_RESTRICTED", J, scope.regulation(J)) if {
	scope.restricted(J)
	not data.governance.lib.redaction.redactable
}
