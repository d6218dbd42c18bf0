package authz

import "testing"

// FuzzCheck feeds Check arbitrary subjects, capabilities and resources: it never panics,
// always gives a reason, never allows an inactive, id-less or role-less subject or an
// unknown capability, and always allows an active Admin or General Manager.
func FuzzCheck(f *testing.F) {
	f.Add(int(RoleUser), int(ApproveRequests), true, false, uma, sam, otto, wendy, uma)
	f.Add(int(RoleAdmin), int(OnboardUser), false, false, ada, "", "", "", "")
	f.Add(int(RoleUser), int(OffboardUser), true, true, mia, ulysses, mia, "", "")
	f.Add(int(RoleUser), int(EditApp), true, false, olive, "", "", olive, "")
	f.Add(0, 0, true, false, "", "", "", "", "")
	f.Add(-7, 99, true, true, "x", "x", "x", "x", "x")
	f.Fuzz(func(t *testing.T, role, capability int, active, isManager bool, userID, target, targetManager, owner, assignee string) {
		s := Subject{UserID: userID, Role: Role(role), Active: active, IsManager: isManager, OwnedAppIDs: []string{owner}}
		c := Capability(capability)
		r := Resource{
			TargetUserID: target, TargetManagerID: targetManager, AppID: owner,
			AppOwnerIDs: []string{owner, userID}[:1+len(owner)%2], AssignedUserIDs: []string{assignee},
		}
		d := Check(s, c, r)
		if d.Reason == "" {
			t.Fatalf("empty reason: %+v %v %+v", s, c, r)
		}
		if d != Check(s, c, r) {
			t.Fatal("not deterministic")
		}
		invalid := !active || userID == "" || !s.Role.Valid() || !c.Valid()
		if invalid && d.Allowed {
			t.Fatalf("allowed an invalid call: %+v %v %+v: %s", s, c, r, d.Reason)
		}
		if !invalid && (s.Role == RoleAdmin || s.Role == RoleGeneralManager) && !d.Allowed {
			t.Fatalf("denied an active %v: %v: %s", s.Role, c, d.Reason)
		}
		if !active && len(Capabilities(s)) != 0 {
			t.Fatalf("inactive subject holds capabilities: %+v", s)
		}
		if !active && (CanDecideTask(s, []string{assignee, userID}, "", "").Allowed || CanViewRequest(s, RequestFacts{RequesterID: userID}).Allowed) {
			t.Fatalf("an API rule allowed an inactive subject: %+v", s)
		}
	})
}
