package web

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// clientLimiter keeps one token bucket per client address. The address is the TCP peer's, never
// a forwarded header a client could set to a fresh value for every request.
type clientLimiter struct {
	every time.Duration
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func newClientLimiter(every time.Duration, burst int) *clientLimiter {
	return &clientLimiter{every: every, burst: burst, m: map[string]*rate.Limiter{}}
}

func (l *clientLimiter) bucket(client string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[client]
	if !ok {
		if len(l.m) > 100_000 {
			l.m = map[string]*rate.Limiter{} // bounded memory; a reset only grants fresh bursts
		}
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.m[client] = b
	}
	return b
}

// allow takes a token for the client, reporting whether there was one.
func (l *clientLimiter) allow(client string) bool { return l.bucket(client).Allow() }

// blocked reports whether the client has no token left, without taking one.
func (l *clientLimiter) blocked(client string) bool { return l.bucket(client).Tokens() < 1 }

// clientOf is the request's client: the peer's IP address (IPv6 by its /64, which one host
// usually holds whole).
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// Login throttling: each client may fail 5 sign-ins at once, then one per 30 s; all clients
// together 100 at once, then one per second, so that many addresses guessing together are slowed
// as well. Keys carry 160 random bits; the throttle is about load and log noise as much as luck.
const (
	loginFailEvery       = 30 * time.Second
	loginFailBurst       = 5
	loginFailGlobalEvery = time.Second
	loginFailGlobalBurst = 100
)

// Order page limit: each client may place 5 orders at once, then one every 12 s (5 a minute).
// The order page makes live cards for the web account, each a blank card and a robot's time.
const (
	orderEvery = 12 * time.Second
	orderBurst = 5
)

// Live previews: 40 at once, then 20 a second per client; typing never gets near it.
const (
	previewEvery = 50 * time.Millisecond
	previewBurst = 40
)
