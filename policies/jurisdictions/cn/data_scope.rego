# China (mainland): data scope (cross-border personal data on reads). PIPL arts. 38-40: a standard contract, certification or security assessment is required; foreign authorities refused (art. 41).
# Rules and lists: data/jurisdictions.json "CN".data_transfer, policies/lib/scope.rego.
package governance.jurisdictions.cn.data_scope

import rego.v1

import data.governance.lib.reasons
import data.governance.lib.volume
import data.governance.lib.scope

J := "CN"

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

# Export volumes (lib/volume.rego): an organisation whose yearly count of individuals reaches a
# tier needs that tier's basis. With the shipped bases the contract tier adds nothing (every
# basis a read accepts here is one of the contract tier's); it binds when an officer accepts
# a lesser basis in `data_transfer.bases`.
deny contains reasons.make("PIPL_SECURITY_ASSESSMENT_REQUIRED", J, "") if volume.read_short_of(J, "assessment")

deny contains reasons.make("PIPL_STANDARD_CONTRACT_REQUIRED", J, "") if volume.read_short_of(J, "contract")

deny contains reasons.make("DATA_SCOPE_FORBIDDEN", J, object.get(scope.foreign_authorities(J), "regulation", "")) if {
	scope.foreign_regulator(J)
}
