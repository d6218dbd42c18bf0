// Package pkg is the root of Grantflow's shared service kit. The kit knows no service:
// it never imports anything under services/, only the generated contracts under gen/.
package pkg
