// Package qrcode encodes QR codes. It is github.com/boombuler/barcode/qr v1.1.0 (MIT licence, see
// LICENSE) with its bit lists and channels replaced by slices: the same modules for the same
// content (TestSameAsBoombuler), about ten times faster, because choosing the mask read every
// module through a method call for each of eight masks and four penalty rules. Label sheets of a
// 100,000-card campaign spent most of their time there.
package qrcode
