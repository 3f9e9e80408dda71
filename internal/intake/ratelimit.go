package intake

import (
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per API key: every key may send RateLimit requests per second
// on average and RateBurst at once.
type limiter struct {
	r     rate.Limit
	burst int
	mu    sync.Mutex
	keys  map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond < 0 {
		return nil
	}
	if perSecond == 0 {
		perSecond = 100
	}
	if burst <= 0 {
		burst = int(math.Ceil(2 * perSecond))
	}
	return &limiter{r: rate.Limit(perSecond), burst: burst, keys: map[string]*rate.Limiter{}}
}

// allow takes a token for the key, or says in whole seconds (the Retry-After value) when to retry.
func (l *limiter) allow(key string) (retryAfter string, ok bool) {
	if l == nil {
		return "", true
	}
	l.mu.Lock()
	b, found := l.keys[key]
	if !found {
		if len(l.keys) > 100_000 {
			l.keys = map[string]*rate.Limiter{} // bounded memory; a reset only grants fresh bursts
		}
		b = rate.NewLimiter(l.r, l.burst)
		l.keys[key] = b
	}
	l.mu.Unlock()
	now := time.Now()
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return strconv.Itoa(int(math.Ceil(d.Seconds()))), false
	}
	return "", true
}
