package store

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Prefix names the kind of a typed id, so one kind can never be passed for another.
type Prefix string

// The id prefixes.
const (
	PrefixCard     Prefix = "crd"
	PrefixCampaign Prefix = "cmp"
	PrefixEvent    Prefix = "evt"
	PrefixAccount  Prefix = "acc"
	PrefixKey      Prefix = "key"
)

// crockford is Crockford's base32 alphabet in lower case: no i, l, o, u, so ids read aloud and
// typed by hand survive.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// idBody is the length of the part after "prefix_": 128 bits in 5-bit digits.
const idBody = 26

var idState struct {
	sync.Mutex
	ms   uint64
	rand [10]byte
}

// NewID returns a new id such as "crd_01j9x3k7q8r2m5v6w7y8z9a0bc": a 48-bit millisecond time and
// 80 random bits (ULID layout), so ids sort by creation time, which cursor pagination relies on.
// Ids made in the same millisecond by this process increase monotonically.
func NewID(p Prefix) string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	idState.Lock()
	if ms <= idState.ms {
		// Same (or an earlier, if the clock stepped back) millisecond: count up from the last id.
		ms = idState.ms
		for i := len(idState.rand) - 1; i >= 0; i-- {
			idState.rand[i]++
			if idState.rand[i] != 0 {
				break
			}
		}
	} else {
		idState.ms = ms
		if _, err := rand.Read(idState.rand[:]); err != nil {
			panic("store: crypto/rand failed: " + err.Error())
		}
	}
	binary.BigEndian.PutUint16(b[4:6], uint16(ms))
	binary.BigEndian.PutUint32(b[0:4], uint32(ms>>16))
	copy(b[6:], idState.rand[:])
	idState.Unlock()

	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [idBody]byte
	for i := idBody - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(p) + "_" + string(out[:])
}

// ValidID reports whether s is a well-formed id of kind p.
func ValidID(p Prefix, s string) bool {
	body, ok := strings.CutPrefix(s, string(p)+"_")
	if !ok || len(body) != idBody || body[0] > '7' { // 130 digit bits hold 128: the first digit is < 8
		return false
	}
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(crockford, body[i]) < 0 {
			return false
		}
	}
	return true
}
