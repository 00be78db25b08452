# The one place a test evaluates the decision under `with`: a case passes when its
# expectations (fixtures.verdict) hold for the decision on its input. Test rules read
#   test_<name> if harness.passes(cases.test_<name>)
# The test runner evaluates these rules as written on regorus (and OPA). On regopy, where any
# loaded `with` costs seconds and gigabytes per query (rego-cpp 1.5.2), it leaves this module
# out and evaluates fixtures.verdict(case, decision) with the case's input set as the input.
package tests.harness

import rego.v1

passes(c) if {
	object.get(c, "fails", false) == false
	d := data.governance.main.decision with data.governance.lib.ctx.doc as c.input
	data.tests.fixtures.verdict(c, d)
}

passes(c) if {
	object.get(c, "fails", false) == true
	d := data.governance.main.decision with data.governance.lib.ctx.doc as c.input
	not data.tests.fixtures.verdict(c, d)
}
