# Authorization of every portal request: may this subject take this action on this resource?
package portal.authz

default allow := false

# The actions the subject holds in the path tenant: those of its roles there, and those of its
# platform roles (platform staff act in every tenant, each role on its own list of actions).
granted contains action if {
	some role in object.get(input.subject.tenant_roles, input.tenant, [])
	some action in data.authz.tenant_roles[role]
}

granted contains action if {
	some role in input.subject.platform_roles
	some action in data.authz.platform_roles[role]
}

# The platform's own views (board packs, platform revenue) are actions on the platform tenant and on
# nothing else; a tenant's actions are never taken on the platform tenant. So a platform role that
# acts in every tenant still reads the board packs only at the platform's path, and no tenant role,
# which the platform tenant never grants, reaches them.
in_scope if {
	input.tenant == data.authz.platform_tenant
	input.action in data.authz.platform_actions
}

in_scope if {
	input.tenant != data.authz.platform_tenant
	not input.action in data.authz.platform_actions
}

# Every action is on a resource of the path tenant: the input carries the tenant that owns the
# resource (an API key's, a pack's), so naming another tenant's id under one's own path gains nothing.
allow if {
	in_scope
	input.resource.tenant == input.tenant
	input.action in granted
	not data.authz.delegations[input.action]
}

# An action that hands out a role (creating an API key hands out the key's role) is allowed only
# when the subject itself holds every action of that role in this tenant: nobody obtains through
# a key what the policy denies them directly.
allow if {
	in_scope
	input.resource.tenant == input.tenant
	input.action in granted
	attribute := data.authz.delegations[input.action]
	role := input.resource[attribute]
	role in data.authz.key_roles
	every action in data.authz.tenant_roles[role] {
		action in granted
	}
}
