package otp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// qrURIs are what the QR tests must get back exactly after a round trip
// through a real decoder.
func qrURIs(t *testing.T) []string {
	t.Helper()
	secret := []byte("12345678901234567890")
	// A fixed long secret, not a random one: gozxing's finder search misses
	// about 1 code in 170 whose data holds a finder-like run, so a random
	// secret would make this test fail now and then for the decoder's sake.
	long := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuv"), 2)
	return []string{
		// perf-anchors section 3's URI: version 8, 49x49 modules at level M.
		"otpauth://totp/Example%20Corp:alice@example.com?algorithm=SHA1&digits=6&issuer=Example%20Corp&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		Key{Secret: secret, Issuer: "Example", Account: "alice@example.com"}.URI(),
		Key{Secret: secret, Issuer: "Café ☕ Zürich", Account: "jörg@bücher.de"}.URI(),
		Key{Secret: secret, Issuer: "日本の会社", Account: "ユーザー"}.URI(),
		Key{Secret: long, Algorithm: SHA512, Digits: 8, Period: 60, Issuer: "A:B & C", Account: "x+y@example.com"}.URI(),
	}
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res.GetText()
}

func TestQRPNGScans(t *testing.T) {
	for _, uri := range qrURIs(t) {
		for _, size := range []int{0, 200, 256, 333, 512} {
			b, err := QRPNG(uri, size)
			if err != nil {
				t.Fatalf("QRPNG(%d): %v", size, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			want := size
			if size == 0 {
				want = DefaultQRSize
			}
			if r := img.Bounds(); r.Dx() != want || r.Dy() != want {
				t.Errorf("size %d: image is %v", size, r)
			}
			// IHDR: bit depth 1, colour type 3 (palette).
			if b[24] != 1 || b[25] != 3 {
				t.Errorf("size %d: bit depth %d, colour type %d; want a 1-bit palette", size, b[24], b[25])
			}
			checkQuietZone(t, img, uri)
			if got := decodeQR(t, img); got != uri {
				t.Errorf("size %d: decoded %q, want %q", size, got, uri)
			}
		}
	}
}

// checkQuietZone checks that the 4-module border is white: the modules are
// found from the top-left finder pattern, whose outer ring is 7 modules wide.
func checkQuietZone(t *testing.T, img image.Image, uri string) {
	t.Helper()
	r := img.Bounds()
	black := func(x, y int) bool { c := color.GrayModel.Convert(img.At(x, y)).(color.Gray); return c.Y < 128 }
	first := -1
	for i := 0; i < r.Dx() && first < 0; i++ {
		if black(i, i) {
			first = i
		}
	}
	if first < 0 {
		t.Fatalf("%s: no dark pixel on the diagonal", uri)
	}
	run := 0
	for x := first; x < r.Dx() && black(x, first); x++ {
		run++
	}
	module := run / 7
	if module < MinModulePixels || first < 4*module {
		t.Errorf("%s: module %d px, symbol starts at %d px; want a quiet zone of 4 modules", uri, module, first)
	}
	for x := 0; x < r.Dx(); x++ {
		for y := 0; y < first; y++ {
			if black(x, y) || black(y, x) || black(x, r.Dy()-1-y) || black(r.Dx()-1-y, x) {
				t.Fatalf("%s: dark pixel in the quiet zone near (%d,%d)", uri, x, y)
			}
		}
	}
}

func TestQRPNGSizeErrors(t *testing.T) {
	uri := qrURIs(t)[0] // 49 modules + 8 of quiet zone = 57
	tests := []struct {
		size    int
		message string
	}{
		{113, "need at least 114 px"},
		{57, "need at least 114 px"},
		{1, "need at least 114 px"},
		{MaxQRSize + 1, "above the maximum"},
	}
	for _, tc := range tests {
		_, err := QRPNG(uri, tc.size)
		if !errors.Is(err, ErrQRSize) || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("QRPNG(size %d) = %v, want ErrQRSize with %q", tc.size, err, tc.message)
		}
	}
	if _, err := QRPNG(uri, 114); err != nil {
		t.Errorf("QRPNG(size 114) = %v", err)
	}
	if _, err := QRPNG("", 256); err == nil {
		t.Error("empty content accepted")
	}
	if _, err := QRPNG(strings.Repeat("x", 3000), 256); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("3000 bytes: %v", err)
	}
	if _, err := QRSVG(strings.Repeat("x", 3000)); err == nil {
		t.Error("QRSVG: 3000 bytes accepted")
	}
}

// svgDoc is the shape QRSVG promises: a background rect and one path.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Rects   []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Paths []struct {
		D string `xml:"d,attr"`
	} `xml:"path"`
}

func TestQRSVGScans(t *testing.T) {
	for _, uri := range qrURIs(t) {
		b, err := QRSVG(uri)
		if err != nil {
			t.Fatal(err)
		}
		var doc svgDoc
		if err := xml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("not XML: %v", err)
		}
		var total int
		if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &total, &total); err != nil {
			t.Fatalf("viewBox %q: %v", doc.ViewBox, err)
		}
		if len(doc.Paths) != 1 || len(doc.Rects) != 1 || doc.Rects[0].Fill != "#fff" {
			t.Fatalf("want one white rect and one path, got %d rects and %d paths", len(doc.Rects), len(doc.Paths))
		}
		img := rasterizeRuns(t, doc.Paths[0].D, total, 4)
		if got := decodeQR(t, img); got != uri {
			t.Errorf("decoded %q, want %q", got, uri)
		}
	}
}

// rasterizeRuns draws the "Mx yhWv1h-Wz" subpaths QRSVG writes, scale px per
// module, and checks none of them enters the quiet zone.
func rasterizeRuns(t *testing.T, d string, total, scale int) image.Image {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, total*scale, total*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for sub := range strings.SplitSeq(strings.TrimSuffix(d, "z"), "z") {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(sub, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 || w < 1 {
			t.Fatalf("subpath %q: %v", sub, err)
		}
		if x < qrQuietZone || y < qrQuietZone || x+w > total-qrQuietZone || y >= total-qrQuietZone {
			t.Fatalf("subpath %q enters the quiet zone of a %d-module image", sub, total)
		}
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.Pix[py*img.Stride+px] = 0
			}
		}
	}
	return img
}
