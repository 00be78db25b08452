# United States: data scope (cross-border personal data on reads). Readers in countries of concern under the DOJ Data Security Program get US individuals' data redacted.
# Rules and lists: data/jurisdictions.json "US".data_transfer, policies/lib/scope.rego.
package governance.jurisdictions.us.data_scope

import rego.v1

import data.governance.lib.reasons
import data.governance.lib.scope

J := "US"

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
