# The decision: data.governance.main.decision (DESIGN.md section 4, docs/policy-input.md).
#
# 1. Applicable jurisdictions: the caller's, each party's (sender and recipient of a write),
#    and the residency of the data a read touches; any EU member state also brings "EU".
# 2. From each applicable jurisdiction package policies/jurisdictions/<code>/ (package
#    governance.jurisdictions.<code>.<dimension>, dimension = data_scope | authorization |
#    supervision) gather `deny` (reasons), `redact` (paths), `report` (objects) and
#    `require_travel_rule` (boolean); add the baseline rules (policies/lib/baseline.rego).
# 3. Combine deny-overrides: any reason denies.
package governance.main

import rego.v1

import data.governance.lib.baseline
import data.governance.lib.ctx
import data.governance.log

dimensions := ["data_scope", "authorization", "supervision"]

base_jurisdictions contains ctx.subject_jurisdiction if ctx.subject_jurisdiction != ""

base_jurisdictions contains j if {
	some entity in [ctx.sender, ctx.recipient]
	j := ctx.code(object.get(entity, "jurisdiction", ""))
	j != ""
}

base_jurisdictions contains j if {
	some r in ctx.arr(object.get(ctx.read, "residency", []))
	j := ctx.code(r)
	j != ""
}

applicable := ctx.with_groups(base_jurisdictions)

# Package names are the lower-case codes ("eu", "cn", ...); codes without a package add nothing.
package_names := {lower(j) | some j in applicable}

jurisdiction_reasons contains r if {
	some p in package_names
	some dim in dimensions
	some r in data.governance.jurisdictions[p][dim].deny
}

redactions contains path if {
	some p in package_names
	some dim in dimensions
	some path in data.governance.jurisdictions[p][dim].redact
}

reports contains r if {
	some p in package_names
	some dim in dimensions
	some r in data.governance.jurisdictions[p][dim].report
}

default require_travel_rule := false

require_travel_rule if {
	some p in package_names
	some dim in dimensions
	data.governance.jurisdictions[p][dim].require_travel_rule == true
}

all_reasons := baseline.deny | jurisdiction_reasons

decision := {
	"allow": count(all_reasons) == 0,
	"reasons": sort([r | some r in all_reasons]),
	"obligations": {
		"redact": sort([p | some p in redactions]),
		"report": sort([r | some r in reports]),
		"require_travel_rule": require_travel_rule,
	},
	"jurisdictions": sort([j | some j in applicable]),
	"mask": sort([m | some m in log.mask]),
}
