package app

// scanBudget bounds how many events one filtered list call reads for a caller who sees few
// of them; the page then ends early, with a token to go on.
const scanBudget = 5000
