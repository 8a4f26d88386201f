package otp

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// QR image parameters.
const (
	// DefaultQRSize is the PNG size QRPNG uses when asked for size <= 0.
	DefaultQRSize = 256
	// MaxQRSize bounds the PNG size so a caller passing user input cannot
	// make one request allocate gigabytes (the image is size*size bytes
	// before compression).
	MaxQRSize = 4096
	// MinModulePixels is the smallest module, in pixels, QRPNG draws; one
	// pixel per module scans from a perfect bitmap but not reliably from a
	// scaled or photographed screen.
	MinModulePixels = 2
	// qrQuietZone is the light border, in modules, that ISO/IEC 18004
	// requires around the code; scanners look for it to find the edges.
	qrQuietZone = 4
)

// qrMatrix is a square QR symbol without its quiet zone; dark[y*n+x] is
// true for a dark module.
type qrMatrix struct {
	n    int
	dark []bool
}

// matrixGrabber is a qrcode.Writer that keeps the matrix instead of drawing
// it: the library's own image writer is several times slower than the
// simple renderers below (perf-anchors section 3).
type matrixGrabber struct{ m qrcode.Matrix }

func (g *matrixGrabber) Write(m qrcode.Matrix) error { g.m = m; return nil }
func (g *matrixGrabber) Close() error                { return nil }

// newQRMatrix encodes content at error correction level M, which is what
// authenticator enrolment screens use: 15% damage tolerance without making
// a long otpauth URI's symbol much denser.
func newQRMatrix(content string) (qrMatrix, error) {
	if content == "" {
		return qrMatrix{}, errors.New("qr: empty content")
	}
	q, err := qrcode.NewWith(content, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return qrMatrix{}, fmt.Errorf("qr: content does not fit in a qr code (%d bytes): %w", len(content), err)
	}
	var g matrixGrabber
	if err := q.Save(&g); err != nil {
		return qrMatrix{}, fmt.Errorf("qr: %w", err)
	}
	n := g.m.Width()
	if n == 0 || g.m.Height() != n {
		return qrMatrix{}, fmt.Errorf("qr: library returned a %dx%d matrix", n, g.m.Height())
	}
	m := qrMatrix{n: n, dark: make([]bool, n*n)}
	for x := range n {
		col := g.m.Col(x) // the library stores columns; Col does not copy
		for y := range n {
			m.dark[y*n+x] = col[y].IsSet()
		}
	}
	return m, nil
}

// QRPNG returns content as a QR code in a size x size PNG (size <= 0 means
// DefaultQRSize): error correction M, black on white, a 1-bit paletted
// image. Modules are whole pixels, at least MinModulePixels each, and the
// symbol is centred, so the light border is the 4-module quiet zone plus
// whatever pixels the integer scaling leaves over. A size too small for the
// symbol's modules, or above MaxQRSize, is an error wrapping ErrQRSize that
// says what size would work.
func QRPNG(content string, size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultQRSize
	}
	if size > MaxQRSize {
		return nil, fmt.Errorf("%w: %d px is above the maximum of %d px", ErrQRSize, size, MaxQRSize)
	}
	m, err := newQRMatrix(content)
	if err != nil {
		return nil, err
	}
	total := m.n + 2*qrQuietZone
	scale := size / total
	if scale < MinModulePixels {
		return nil, fmt.Errorf("%w: %d px is too small for this %d-module code with its quiet zone (need at least %d px)",
			ErrQRSize, size, total, total*MinModulePixels)
	}
	off := (size - m.n*scale) / 2 // >= qrQuietZone*scale since size >= total*scale

	// Index 0 (white) is the zero value, so only dark modules are written.
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y := range m.n {
		top := (off + y*scale) * img.Stride
		row := img.Pix[top : top+img.Stride]
		for x := range m.n {
			if m.dark[y*m.n+x] {
				px := row[off+x*scale : off+(x+1)*scale]
				for i := range px {
					px[i] = 1
				}
			}
		}
		for r := 1; r < scale; r++ {
			copy(img.Pix[top+r*img.Stride:top+(r+1)*img.Stride], row)
		}
	}
	var buf bytes.Buffer
	buf.Grow(2048)
	// Two colours make the encoder write 1 bit per pixel; the default
	// compression shrinks the long runs to a couple of kilobytes.
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr: png: %w", err)
	}
	return buf.Bytes(), nil
}

// QRSVG returns content as a QR code in SVG: error correction M, a white
// square covering the quiet zone (so the code scans on dark pages too) and
// one <path> of black module runs. The viewBox is in modules, quiet zone
// included, and there is no width or height: the page sizes it, e.g.
// <img src=... width="256">, and it stays sharp at any size.
func QRSVG(content string) ([]byte, error) {
	m, err := newQRMatrix(content)
	if err != nil {
		return nil, err
	}
	total := strconv.Itoa(m.n + 2*qrQuietZone)
	b := make([]byte, 0, 256+m.n*m.n*2)
	b = append(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `...)
	b = append(b, total...)
	b = append(b, ' ')
	b = append(b, total...)
	b = append(b, `" shape-rendering="crispEdges"><rect width="`...)
	b = append(b, total...)
	b = append(b, `" height="`...)
	b = append(b, total...)
	b = append(b, `" fill="#fff"/><path fill="#000" d="`...)
	// One horizontal run of dark modules per subpath keeps the path about
	// a third the size of one square per module.
	var wb [20]byte
	for y := range m.n {
		row := m.dark[y*m.n : (y+1)*m.n]
		for x := 0; x < m.n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < m.n && row[x] {
				x++
			}
			w := strconv.AppendInt(wb[:0], int64(x-start), 10)
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(start+qrQuietZone), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y+qrQuietZone), 10)
			b = append(b, 'h')
			b = append(b, w...)
			b = append(b, "v1h-"...)
			b = append(b, w...)
			b = append(b, 'z')
		}
	}
	b = append(b, `"/></svg>`...)
	return b, nil
}
