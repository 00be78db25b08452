# Japan: data scope (cross-border personal data on reads). APPI art. 28: EU/EEA and UK, or a recipient with equivalent measures.
# Rules and lists: data/jurisdictions.json "JP".data_transfer, policies/lib/scope.rego.
package governance.jurisdictions.jp.data_scope

import rego.v1

import data.governance.lib.reasons
import data.governance.lib.scope

J := "JP"

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
