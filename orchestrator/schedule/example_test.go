package schedule_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/orchestrator/schedule"
)

func Example() {
	s, err := schedule.Parse("cron(0 12 ? * MON-FRI *)")
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) // a Friday, noon
	for range 3 {
		at, _ = s.Next(at)
		fmt.Println(at.Format("Mon 2006-01-02 15:04"))
	}
	fmt.Println(s)
	// Output:
	// Mon 2026-11-30 12:00
	// Tue 2026-12-01 12:00
	// Wed 2026-12-02 12:00
	// cron(0 12 ? * MON-FRI *)
}

func ExampleParse_error() {
	_, err := schedule.Parse("cron(0 3 32 * ? *)")
	var pe *schedule.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Pos, pe)
	}
	_, err = schedule.Parse("rate(1 days)")
	fmt.Println(err)
	// Output:
	// 9 cron field 3 (day-of-month) "32": value out of range 1-31
	// rate unit "days": use the singular "day" when the value is 1: rate(1 day)
}

func ExampleWithAnchor() {
	created := time.Date(2026, 3, 10, 14, 3, 27, 0, time.UTC)
	s := schedule.WithAnchor(schedule.MustParse("5 minutes"), created)
	next, _ := s.Next(time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC))
	fmt.Println(s, s.Every(), next.Format(time.RFC3339))
	// Output:
	// rate(5 minutes) 5m0s 2026-03-10T15:03:27Z
}
