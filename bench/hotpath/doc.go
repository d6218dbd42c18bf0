// Package hotpath holds Go benchmarks of Grantflow's hot paths that the services' own
// benchmarks do not cover (make bench runs them beside those). They build the services
// from their public packages only, as a deployment does.
//
// It has no code outside its tests, and must not import any service's internal packages.
package hotpath
