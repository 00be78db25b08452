# Decision-log masking (OPA decision-log mask style): JSON pointers into the policy input that
# the gateway erases before the record is stored and hashed. The originator and beneficiary of
# a travel-rule payload are personal data and are never stored in the log.
package governance.log

import rego.v1

mask contains "/travel_rule/originator" if data.governance.lib.ctx.call.travel_rule_present

mask contains "/travel_rule/beneficiary" if data.governance.lib.ctx.call.travel_rule_present

# The names screened against the sanctions lists are the payload's names: personal data too.
mask contains "/screening/matches/*/name" if count(data.governance.lib.ctx.arr(data.governance.lib.ctx.obj(data.governance.lib.ctx.doc.screening).matches)) > 0
