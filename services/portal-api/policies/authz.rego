# Authorization of every portal request: may this subject take this action on this resource?
package portal.authz

default allow := false

# Platform roles (platform-admin, executive) act across tenants, each on its own list of actions.
allow if {
	some role in input.subject.platform_roles
	input.action in data.authz.platform_roles[role]
}

# Tenant roles act only inside the tenant they were granted in, and only on that tenant's resources.
allow if {
	input.resource.tenant == input.tenant
	some role in object.get(input.subject.tenant_roles, input.tenant, [])
	input.action in data.authz.tenant_roles[role]
}
