package store

import (
	"fmt"
	"strings"
)

// testLanePrefix starts the lane of test cards, so test jobs can never reach a real robot's lane.
const testLanePrefix = "test-"

// Lane returns the queue lane for a stock: the stock itself, or "test-<stock>" for test cards. A
// worker pulls exactly one lane: a real robot its loaded stock, a simulated plotter a test lane.
func Lane(stock string, test bool) string {
	if test {
		return testLanePrefix + stock
	}
	return stock
}

// ValidateStock checks a stock name: it becomes a NATS subject token and a consumer name, so it is
// lower-case letters, digits, '-' and '_' only (1-48 characters), and it may not start with "test-",
// which marks test lanes.
func ValidateStock(stock string) error {
	if len(stock) > 48 {
		return fmt.Errorf("%w: stock name must have 1 to 48 characters, got %q", ErrInvalid, stock)
	}
	if err := ValidateLane(stock); err != nil {
		return err
	}
	if strings.HasPrefix(stock, testLanePrefix) {
		return fmt.Errorf("%w: stock %q may not start with %q", ErrInvalid, stock, testLanePrefix)
	}
	return nil
}

// ValidateLane checks a lane name (a stock, or a test lane).
func ValidateLane(lane string) error {
	if lane == "" || len(lane) > 48+len(testLanePrefix) {
		return fmt.Errorf("%w: stock name must have 1 to 48 characters, got %q", ErrInvalid, lane)
	}
	for i := 0; i < len(lane); i++ {
		c := lane[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_'))) {
			return fmt.Errorf("%w: stock name %q may use only a-z, 0-9, '-' and '_', starting with a letter or digit", ErrInvalid, lane)
		}
	}
	return nil
}
