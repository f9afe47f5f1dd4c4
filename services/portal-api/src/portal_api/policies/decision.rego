# One request's whole decision in one query: allowed or not, the reading context, the fields shown.
# Everything it answers comes from this bundle, so the bundle hash on each AccessDecided covers it.
package portal.decision

import data.portal.authz
import data.portal.presentation

default shown := set()

shown := presentation.allowed_fields if authz.allow

withheld contains field if {
	some field, _ in presentation.rules
	not field in shown
}

result := {
	"allow": authz.allow,
	"legal_basis": presentation.context.legal_basis,
	"purpose": presentation.context.purpose,
	"shown": shown,
	"withheld": withheld,
}
