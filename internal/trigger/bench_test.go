package trigger

import (
	"os"
	"testing"
)

// BenchmarkShopifyOrder decodes a Shopify order and maps it to a card's parts.
func BenchmarkShopifyOrder(b *testing.B) {
	body, err := os.ReadFile("../../testdata/triggers/shopify-order.json")
	if err != nil {
		b.Fatal(err)
	}
	_, m := loadFixture(b, "shopify-order.json", "shopify-trigger.json")
	c, err := m.Compile()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		doc, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Apply(doc); err != nil {
			b.Fatal(err)
		}
	}
}
