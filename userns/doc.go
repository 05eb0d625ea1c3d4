// Package userns holds everything about the container's user namespace except
// the clone itself: reading subordinate ids, planning the id maps, running the
// setuid newuidmap/newgidmap helpers, and explaining why a kernel refused.
//
// Planning is pure (PlanIDMap, ParseSubIDs) so the host side can print and test
// the maps before touching the kernel; only Apply runs anything.
package userns
