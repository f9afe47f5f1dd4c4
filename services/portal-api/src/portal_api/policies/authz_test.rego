package portal.authz_test

import data.portal.authz

member(tenant, roles) := {"id": "u1", "tenant_roles": {tenant: roles}, "platform_roles": []}

test_a_member_reads_their_own_tenant if {
	authz.allow with input as {"subject": member("acme", ["viewer"]), "tenant": "acme", "action": "overview:read", "resource": {"tenant": "acme"}}
}

test_a_member_cannot_read_another_tenant if {
	not authz.allow with input as {"subject": member("acme", ["admin"]), "tenant": "beta", "action": "overview:read", "resource": {"tenant": "beta"}}
}

test_a_resource_of_another_tenant_is_refused_even_inside_the_own_tenant if {
	not authz.allow with input as {"subject": member("acme", ["admin"]), "tenant": "acme", "action": "overview:read", "resource": {"tenant": "beta"}}
}

test_a_viewer_cannot_read_the_audit_trail if {
	not authz.allow with input as {"subject": member("acme", ["viewer"]), "tenant": "acme", "action": "audit:read", "resource": {"tenant": "acme"}}
}

test_an_auditor_reads_the_audit_trail if {
	authz.allow with input as {"subject": member("acme", ["auditor"]), "tenant": "acme", "action": "audit:read", "resource": {"tenant": "acme"}}
}

test_finance_cannot_submit_provenance if {
	not authz.allow with input as {"subject": member("acme", ["finance"]), "tenant": "acme", "action": "provenance:submit", "resource": {"tenant": "acme"}}
}

test_an_executive_reads_finance_across_tenants_but_writes_nothing if {
	exec := {"id": "ceo", "tenant_roles": {}, "platform_roles": ["executive"]}
	authz.allow with input as {"subject": exec, "tenant": "beta", "action": "finance:read", "resource": {"tenant": "beta"}}
	not authz.allow with input as {"subject": exec, "tenant": "beta", "action": "trust-policy:write", "resource": {"tenant": "beta"}}
}

test_an_unknown_role_grants_nothing if {
	not authz.allow with input as {"subject": member("acme", ["owner"]), "tenant": "acme", "action": "overview:read", "resource": {"tenant": "acme"}}
}

key(subject, role) := {"subject": subject, "tenant": "acme", "action": "apikey:create", "resource": {"tenant": "acme", "key_role": role}}

test_an_admin_creates_engineer_and_viewer_keys_but_no_other_role if {
	authz.allow with input as key(member("acme", ["admin"]), "engineer")
	authz.allow with input as key(member("acme", ["admin"]), "viewer")
	not authz.allow with input as key(member("acme", ["admin"]), "admin")
	not authz.allow with input as key(member("acme", ["admin"]), "auditor")
}

test_a_key_never_carries_more_than_its_creator_may_do_here if {
	platform_admin := {"id": "root", "tenant_roles": {}, "platform_roles": ["platform-admin"]}
	not authz.allow with input as key(platform_admin, "engineer")
	not authz.allow with input as key(platform_admin, "viewer")

	# an admin role without provenance:submit could hand out viewer keys, never engineer keys
	authz.allow with input as key(member("acme", ["admin"]), "viewer")
		with data.authz.tenant_roles.admin as ["overview:read", "slsa:read", "provenance:read", "apikey:create"]
	not authz.allow with input as key(member("acme", ["admin"]), "engineer")
		with data.authz.tenant_roles.admin as ["overview:read", "slsa:read", "provenance:read", "apikey:create"]
}

test_platform_admins_list_and_revoke_keys_but_write_no_trust_policy if {
	platform_admin := {"id": "root", "tenant_roles": {}, "platform_roles": ["platform-admin"]}
	authz.allow with input as {"subject": platform_admin, "tenant": "beta", "action": "apikey:revoke", "resource": {"tenant": "beta"}}
	not authz.allow with input as {"subject": platform_admin, "tenant": "beta", "action": "trust-policy:write", "resource": {"tenant": "beta"}}
	not authz.allow with input as {"subject": platform_admin, "tenant": "beta", "action": "provenance:submit", "resource": {"tenant": "beta"}}
}

test_a_resource_owned_by_another_tenant_is_refused_to_platform_staff_too if {
	platform_admin := {"id": "root", "tenant_roles": {}, "platform_roles": ["platform-admin"]}
	not authz.allow with input as {"subject": platform_admin, "tenant": "acme", "action": "apikey:revoke", "resource": {"tenant": "beta"}}
}

platform(subject, action) := {"subject": subject, "tenant": "platform", "action": action, "resource": {"tenant": "platform"}}

platform_views := ["board:read", "board:download", "revenue:read", "cohorts:read", "adoption:read", "evidence-slo:read"]

test_executives_and_platform_admins_read_the_platform_views if {
	exec := {"id": "ceo", "tenant_roles": {}, "platform_roles": ["executive"]}
	root := {"id": "root", "tenant_roles": {}, "platform_roles": ["platform-admin"]}
	every action in platform_views {
		authz.allow with input as platform(exec, action)
		authz.allow with input as platform(root, action)
	}
}

test_no_tenant_role_reaches_a_platform_view if {
	every role in ["admin", "engineer", "auditor", "finance", "viewer"] {
		every action in platform_views {
			not authz.allow with input as platform(member("acme", [role]), action)

			# nor with a membership of the platform tenant itself (the membership store refuses one)
			not authz.allow with input as platform(member("platform", [role]), action)
		}
	}
}

test_a_platform_view_is_read_at_the_platform_path_only_and_tenant_views_never_there if {
	exec := {"id": "ceo", "tenant_roles": {}, "platform_roles": ["executive"]}
	not authz.allow with input as {"subject": exec, "tenant": "acme", "action": "revenue:read", "resource": {"tenant": "acme"}}
	not authz.allow with input as {"subject": exec, "tenant": "acme", "action": "cohorts:read", "resource": {"tenant": "acme"}}
	not authz.allow with input as platform(exec, "finance:read")
	not authz.allow with input as platform(exec, "overview:read")
}
