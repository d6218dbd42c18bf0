package main

import "github.com/grantflow/grantflow/gateway"

// consolePeople are the demo's people for the console's sign-in shortcut (only this
// process's gateway offers them, and only because it seeded them).
func (d *demoOrg) consolePeople() []gateway.DemoPerson {
	out := make([]gateway.DemoPerson, 0, len(d.people))
	for _, p := range d.people {
		out = append(out, gateway.DemoPerson{Handle: p.handle, Name: p.name, Role: p.role, Note: p.note, Key: p.key})
	}
	return out
}
