package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenTarget is returned (wrapped) for a webhook address on a network quillpost does not
// call: a webhook must never let a customer make the server reach itself or its neighbours.
var ErrForbiddenTarget = errors.New("the address is on a private, loopback or reserved network")

// blocked are the ranges besides what netip's predicates catch (loopback, private, link-local,
// multicast, unspecified): CGNAT, "this network", IETF and documentation ranges, benchmarking,
// reserved and broadcast, IPv6 discard, documentation and ULA (which also holds AWS's IPv6
// metadata address fd00:ec2::254). IPv4 cloud metadata (169.254.169.254) is link-local.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"100::/64", "2001:db8::/32", "fc00::/7",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// embedsIPv4 are IPv6 ranges that carry an IPv4 address in their last 32 bits (NAT64) or bits
// 16-48 (6to4): the embedded address is checked as well.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	nat64L = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4 = netip.MustParsePrefix("2002::/16")
	teredo = netip.MustParsePrefix("2001::/32")
)

// ForbiddenAddr reports why the address may not be called, or "" when it may.
func ForbiddenAddr(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "not an IP address"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private network address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address (where cloud metadata services live)"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return "a reserved or shared address range"
		}
	}
	if a.Is6() {
		b := a.As16()
		var v4 netip.Addr
		switch {
		case nat64.Contains(a), nat64L.Contains(a):
			v4 = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		case sixTo4.Contains(a):
			v4 = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		case teredo.Contains(a):
			v4 = netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		}
		if v4.Is4() {
			if why := ForbiddenAddr(v4); why != "" {
				return why + " (embedded in an IPv6 address)"
			}
		}
	}
	return ""
}

// numericHost reports whether a host name is made of numbers only (decimal, octal or hex
// labels such as "0x7f.1" or "2130706433"): C resolvers read those as IPv4 addresses in
// unusual spellings, so they are refused rather than guessed at.
func numericHost(h string) bool {
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return false
		}
		l := strings.ToLower(label)
		if strings.HasPrefix(l, "0x") {
			l = l[2:]
			if l == "" {
				return true
			}
			for _, c := range l {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
					return false
				}
			}
			continue
		}
		for _, c := range l {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// CheckURL checks a webhook URL before it is stored: http or https, no credentials, and unless
// allowPrivate a host that is neither a forbidden address in any spelling nor a name resolving
// to one. A name that does not resolve now is accepted (DNS may follow); every delivery checks
// the address it connects to again. The error is a plain sentence for the customer.
func CheckURL(ctx context.Context, raw string, allowPrivate bool, r *net.Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return errors.New("the url must be an absolute http:// or https:// URL without credentials, up to 2000 characters")
	}
	if allowPrivate {
		return nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return errors.New("the url has no host")
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("the host %s is this server itself: %w", u.Hostname(), ErrForbiddenTarget)
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if why := ForbiddenAddr(a); why != "" {
			return fmt.Errorf("the host %s is %s: %w", u.Hostname(), why, ErrForbiddenTarget)
		}
		return nil
	}
	if numericHost(host) {
		return fmt.Errorf("the host %s is a numeric address in an unusual spelling; write an IP address as a.b.c.d or use a name: %w", u.Hostname(), ErrForbiddenTarget)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if why := ForbiddenAddr(a); why != "" {
			return fmt.Errorf("the host %s resolves to %s: %w", u.Hostname(), why, ErrForbiddenTarget)
		}
	}
	return nil
}

// safeControl refuses, at connect time, any address ForbiddenAddr names: after DNS resolution,
// so a name that resolved to a public address when it was registered and to 127.0.0.1 now
// (DNS rebinding) is still refused.
func safeControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", network, ErrForbiddenTarget)
	}
	if ForbiddenAddr(ap.Addr()) != "" {
		return fmt.Errorf("dial %s: %w", network, ErrForbiddenTarget)
	}
	return nil
}

// NewClient returns the HTTP client deliveries use: no redirects (they would send the signed
// body somewhere the customer did not register), no proxy from the environment (a proxy would
// hide the real destination from the check), and unless allowPrivate the connect-time check.
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = safeControl
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// describeError turns a failed request into a sentence for the customer's delivery log: the
// kind of failure, never an address of ours (the resolver's, a proxy's, an internal host's).
func describeError(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, ErrForbiddenTarget):
		return "not sent: the webhook's host resolves to a private, loopback or reserved address, which quillpost does not call"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "the webhook's host name does not exist (DNS)"
		}
		return "the webhook's host name could not be resolved (DNS)"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "no answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the host cannot be reached"
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &unknownCA):
		return "the TLS certificate is not valid for the host or not trusted"
	case errors.As(err, &recErr):
		return "the endpoint does not speak TLS (is the url http:// rather than https://?)"
	}
	return "the request failed before an answer arrived"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
