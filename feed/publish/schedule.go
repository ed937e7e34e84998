package publish

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSchedule reads how often the scheduled build runs from an
// EventBridge schedule expression, as the template's ScheduleRate gives
// it: "rate(5 minutes)", "rate(1 hour)", "rate(1 day)". A cron()
// expression has no one period: it gives DefaultSchedule, as does "".
func ParseSchedule(expr string) (time.Duration, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" || strings.HasPrefix(expr, "cron(") {
		return DefaultSchedule, nil
	}
	inner, rate := strings.CutPrefix(expr, "rate(")
	inner, closed := strings.CutSuffix(inner, ")")
	if !rate || !closed {
		return 0, fmt.Errorf("publish: schedule %q: want rate(N minutes|hours|days) or cron(...)", expr)
	}
	n, unit, _ := strings.Cut(strings.TrimSpace(inner), " ")
	count, err := strconv.Atoi(n)
	if err != nil || count <= 0 {
		return 0, fmt.Errorf("publish: schedule %q: %q is not a positive whole number", expr, n)
	}
	per := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour,
		"hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[strings.TrimSpace(unit)]
	if per == 0 {
		return 0, fmt.Errorf("publish: schedule %q: unknown unit %q", expr, unit)
	}
	return time.Duration(count) * per, nil
}
