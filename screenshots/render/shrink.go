package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
)

// shrinkPNG writes in, halved in each direction n times (a 2×2 box filter
// each time), to out: freeze renders PNGs at four times their size.
func shrinkPNG(in, out string, n int) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	for range n {
		img = half(img)
	}
	g, err := os.Create(out)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(g, img); err != nil {
		g.Close()
		return err
	}
	return g.Close()
}

// half averages each 2×2 block of src (premultiplied, so transparent
// corners stay clean) into one pixel.
func half(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	for y := 0; y < dst.Rect.Dy(); y++ {
		for x := 0; x < dst.Rect.Dx(); x++ {
			var r, g, bl, a uint32
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				cr, cg, cb, ca := src.At(b.Min.X+2*x+d[0], b.Min.Y+2*y+d[1]).RGBA()
				r, g, bl, a = r+cr, g+cg, bl+cb, a+ca
			}
			dst.SetRGBA(x, y, color.RGBA{uint8(r >> 10), uint8(g >> 10), uint8(bl >> 10), uint8(a >> 10)})
		}
	}
	return dst
}
