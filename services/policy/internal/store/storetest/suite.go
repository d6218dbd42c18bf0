package storetest

// Cases are the store contract, which the memory and the PostgreSQL engine both keep:
// each exported method is one test, on an empty store of its own, in parallel. The
// engines' tests run them with storetestkit.Suite (pgtest.Contract for PostgreSQL).
type Cases struct{}
