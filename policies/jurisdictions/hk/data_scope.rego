# Hong Kong SAR: data scope. PDPO (Cap. 486) s. 33, which would restrict transfers of personal
# data out of Hong Kong, has never been brought into force; DPP1 and DPP3 (collection and use)
# bind the data user, not the transfer. No cross-border read rule applies, so this package
# has no data_transfer entry in data/jurisdictions.json and raises nothing.
package governance.jurisdictions.hk.data_scope

import rego.v1

J := "HK"

transfer_rules_in_force := false
