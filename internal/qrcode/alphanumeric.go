package qrcode

import (
	"errors"
	"fmt"
	"strings"
)

const charSet string = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// stringToAlphaIdx returns a reader of each rune's index in charSet, up to and including the first
// rune that has none (-1). Past the end it reads -1; the original (a channel) read 0 there, but
// only after a -1 had already failed the encoding.
func stringToAlphaIdx(content string) func() int {
	var idx []int
	for _, r := range content {
		i := strings.IndexRune(charSet, r)
		idx = append(idx, i)
		if i < 0 {
			break
		}
	}
	n := 0
	return func() int {
		if n >= len(idx) {
			return -1
		}
		n++
		return idx[n-1]
	}
}

func encodeAlphaNumeric(content string, ecl ErrorCorrectionLevel) (*BitList, *versionInfo, error) {

	contentLenIsOdd := len(content)%2 == 1
	contentBitCount := (len(content) / 2) * 11
	if contentLenIsOdd {
		contentBitCount += 6
	}
	vi := findSmallestVersionInfo(ecl, alphaNumericMode, contentBitCount)
	if vi == nil {
		return nil, nil, errors.New("too much data for a QR code")
	}

	res := new(BitList)
	res.AddBits(int(alphaNumericMode), 4)
	res.AddBits(len(content), vi.charCountBits(alphaNumericMode))

	encoder := stringToAlphaIdx(content)

	for idx := 0; idx < len(content)/2; idx++ {
		c1 := encoder()
		c2 := encoder()
		if c1 < 0 || c2 < 0 {
			return nil, nil, fmt.Errorf("\"%s\" can not be encoded as %s", content, AlphaNumeric)
		}
		res.AddBits(c1*45+c2, 11)
	}
	if contentLenIsOdd {
		c := encoder()
		if c < 0 {
			return nil, nil, fmt.Errorf("\"%s\" can not be encoded as %s", content, AlphaNumeric)
		}
		res.AddBits(c, 6)
	}

	addPaddingAndTerminator(res, vi)

	return res, vi, nil
}
