// Package schedule parses and evaluates Amazon EventBridge schedule
// expressions, the cron(...) and rate(...) strings that aloft launch plans
// use to fire on a schedule.
//
// # Expressions
//
// Parse accepts both wrapped and bare forms:
//
//	cron(0 3 * * ? *)    0 3 * * ? *
//	rate(1 day)          1 day
//
// A cron expression has EventBridge's six fields, separated by white space:
//
//	Field         Values              Wildcards
//	Minutes       0-59                , - * /
//	Hours         0-23                , - * /
//	Day-of-month  1-31                , - * ? / L W
//	Month         1-12 or JAN-DEC     , - * /
//	Day-of-week   1-7 or SUN-SAT      , - * ? L #
//	Year          1970-2199           , - * /
//
// Day-of-week 1 is Sunday. Exactly one of day-of-month and day-of-week must
// be ?. In day-of-month, L is the last day of the month, LW the last weekday
// (Monday to Friday) of the month and nW the weekday nearest day n, never
// crossing into another month. In day-of-week, L alone is Saturday (7), nL is
// the last weekday n of the month (6L: last Friday) and n#k is the k-th
// weekday n of the month (3#2: second Tuesday). L, LW, nW, nL and n#k must be
// the whole field; they cannot be combined with lists or ranges. Names are
// case-insensitive. Ranges must be ascending. All times are UTC.
//
// A rate expression is rate(N unit) with N a positive integer and unit one of
// minute, hour, day; as in EventBridge, N = 1 takes the singular unit and
// N > 1 the plural (rate(1 hour), rate(5 minutes)).
//
// # Evaluation
//
// Schedule.Next(after) returns the first fire time strictly after after. The
// package never reads the clock: callers pass the time in. A cron schedule
// fires at whole minutes; Next reports false once the year field (or the
// 2199 limit of EventBridge) is exhausted or when the expression can never
// fire (cron(0 0 30 2 ? *)). A Rate fires at Anchor + k*interval for integer
// k; EventBridge counts rates from the creation of the rule, so set Anchor
// (with WithAnchor) to that time. The zero Anchor means the Unix epoch.
// Schedules are immutable and safe for concurrent use.
//
// # Errors
//
// Parse errors are *Error values. Error.Pos is the 0-based column (counted in
// runes, which is bytes for ASCII) of the first character of the offending
// field within the expression exactly as given, including any cron( or
// rate( prefix and leading white space, so a validator can add it to the
// column at which the expression starts in a source file.
package schedule
