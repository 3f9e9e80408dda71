package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/webhook"
)

// Finding 4: loopback in every spelling was accepted as a webhook target.
func TestCheckURLRefusesInternalTargets(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{
		"http://127.0.0.1/", "http://127.0.0.1:8080/x", "http://[::ffff:127.0.0.1]/", "http://0x7f.1/", "http://0x7f000001/",
		"http://2130706433/", "http://0177.0.0.1/", "http://127.1/", "http://localhost./", "http://LOCALHOST/", "http://api.localhost/",
		"http://[::1]:9/", "http://0.0.0.0/", "http://[::]/", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
		"http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/", "http://[fe80::1]/",
		"http://224.0.0.1/", "http://[ff02::1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://240.0.0.1/",
	} {
		err := webhook.CheckURL(ctx, u, false, nil)
		if err == nil {
			t.Errorf("%s accepted", u)
			continue
		}
		if strings.Contains(u, "://localhost") || strings.Contains(u, "LOCALHOST") || strings.Contains(u, "api.localhost") {
			continue
		}
		if !strings.Contains(err.Error(), "address") {
			t.Errorf("%s: reason %q does not say why", u, err)
		}
	}
	for _, u := range []string{"https://crm.example.com/hooks", "https://93.184.216.34/x", "http://[2606:4700::1111]/"} {
		if err := webhook.CheckURL(ctx, u, false, nil); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if err := webhook.CheckURL(ctx, "http://127.0.0.1:8080/", true, nil); err != nil {
		t.Errorf("allowPrivate: %v", err)
	}
	for _, u := range []string{"ftp://x/", "http://user:pw@host/", "/relative"} {
		if webhook.CheckURL(ctx, u, true, nil) == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

func TestForbiddenAddrEmbeddedIPv4(t *testing.T) {
	for a, bad := range map[string]bool{"::ffff:10.0.0.1": true, "64:ff9b::a00:1": true, "64:ff9b::808:808": false,
		"2001:0:4136:e378:8000:63bf:80ff:fffe": true, "8.8.8.8": false, "100.63.255.255": false, "100.64.0.0": true} {
		if got := webhook.ForbiddenAddr(netip.MustParseAddr(a)) != ""; got != bad {
			t.Errorf("%s forbidden = %v, want %v", a, got, bad)
		}
	}
}

// DNS rebinding: a webhook stored with a name that now resolves to loopback (here the name is
// "localhost", stored directly as if it had resolved elsewhere at registration) is refused when
// the dispatcher connects, and the delivery log names no internal address.
func TestDialTimeCheckAndPlainErrors(t *testing.T) {
	ctx := context.Background()
	st, acc := setup(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]
	for _, target := range []string{"http://localhost" + port + "/hook", srv.URL, "http://no-such-host.invalid/hook"} {
		hook, err := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: target, EventTypes: []string{"*"}, Secret: "whsec_x"})
		if err != nil {
			t.Fatal(err)
		}
		d := webhook.New(st, webhook.Options{MaxAttempts: 1, Timeout: 20 * time.Second}, nil)
		ev := store.Event{ID: store.NewID(store.PrefixEvent), CardID: store.NewID(store.PrefixCard), AccountID: acc.ID,
			From: store.StatusPlotting, To: store.StatusWritten, Cause: "worker.written", CreatedAt: time.Now()}
		if err := d.HandleEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		ds, _, _ := st.ListDeliveries(ctx, acc.ID, hook.ID, store.DeliveryFilter{})
		if len(ds) != 1 || ds[0].Status != store.DeliveryFailed {
			t.Fatalf("%s: deliveries %+v", target, ds)
		}
		msg := ds[0].LastError
		for _, leak := range []string{"127.", "::1", ":53", "dial", "lookup", port} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: delivery error %q shows %q", target, msg, leak)
			}
		}
		want := "private, loopback or reserved"
		if strings.Contains(target, "invalid") {
			want = "host name"
		}
		if !strings.Contains(msg, want) {
			t.Errorf("%s: delivery error %q, want it to say %q", target, msg, want)
		}
		if err := st.DeleteWebhook(ctx, acc.ID, hook.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal server was called %d times", n)
	}
}

// FuzzCheckURL: any URL is either refused or, when its host is an IP address in any spelling Go
// reads, an address the dispatcher may call. DNS is cut off so that names are judged by their
// spelling alone.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://0x7f.1/", "http://localhost./",
		"https://93.184.216.34/x", "http://[fe80::1%25eth0]/", "http://1.1.1.1:0/", "http://[64:ff9b::a00:1]/", "http://%31%32%37.0.0.1/"} {
		f.Add(s)
	}
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in this test")
	}}
	f.Fuzz(func(t *testing.T, raw string) {
		err := webhook.CheckURL(context.Background(), raw, false, noDNS)
		if err != nil {
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("%q accepted but does not parse: %v", raw, perr)
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if a, err := netip.ParseAddr(host); err == nil && webhook.ForbiddenAddr(a) != "" {
			t.Fatalf("%q accepted with forbidden address %s", raw, a)
		}
		if ip := net.ParseIP(host); ip != nil {
			if a, ok := netip.AddrFromSlice(ip); ok && webhook.ForbiddenAddr(a) != "" {
				t.Fatalf("%q accepted with forbidden address %s", raw, a)
			}
		}
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			t.Fatalf("%q accepted", raw)
		}
	})
}

// Finding 3: test cards' events go to test endpoints only, live cards' to live endpoints only, so
// a test key's endpoint never sees a live recipient.
func TestEventsGoToEndpointsOfTheirMode(t *testing.T) {
	ctx := context.Background()
	st, acc := setup(t)
	live, _ := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: "https://crm.example.com/live", EventTypes: []string{"*"}, Secret: "s1"})
	test, _ := st.CreateWebhook(ctx, store.NewWebhook{AccountID: acc.ID, URL: "https://crm.example.com/test", EventTypes: []string{"*"}, Secret: "s2", Test: true})
	d := webhook.New(st, webhook.Options{}, nil)
	for _, isTest := range []bool{false, true} {
		c, err := st.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Test: isTest, Message: "Hallo", Font: "allure", Hand: "neat",
			Stock: "a6-white", Format: "a6", StrokeHash: "h", To: []byte(`{"name":"A"}`)})
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := st.Events(ctx, acc.ID, c.ID)
		if err := d.HandleEvent(ctx, evs[0]); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []*store.Webhook{live, test} {
		ds, _, _ := st.ListDeliveries(ctx, acc.ID, h.ID, store.DeliveryFilter{})
		if len(ds) != 1 {
			t.Fatalf("endpoint test=%v got %d deliveries, want 1", h.Test, len(ds))
		}
		c, _ := st.GetCard(ctx, acc.ID, ds[0].CardID)
		if c.Test != h.Test {
			t.Errorf("endpoint test=%v received a card with test=%v", h.Test, c.Test)
		}
	}
}
