// Package domain holds the access review rules in pure Go: the campaign state machine
// (DRAFT -> ACTIVE -> CLOSED), the item state machine (PENDING, BLOCKED, DECIDED,
// NOT_REVIEWED), the decisions (KEEP, CHANGE, REMOVE) and what each requires, who reviews an
// item (MANAGER, APP_OWNER, USERS; nobody their own access, the admins as the fallback), why
// an item is blocked, and who may see and do what.
//
// It must not import gRPC, SQL, the store or any generated code.
package domain
