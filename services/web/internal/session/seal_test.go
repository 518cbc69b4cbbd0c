package session

import (
	"bytes"
	"testing"
	"time"
)

// SealBytes and OpenBytes carry bytes through the browser unread and
// unchanged: what was sealed for one name opens only as that name, and a
// changed byte does not open at all.
func TestSealBytes(t *testing.T) {
	c, err := NewCodec(NewKey(), false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte{0x1f, 0x8b, 0, 1, 2, 255}
	sealed, err := c.SealBytes("import", plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.OpenBytes("import", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("opened %v, %v", got, err)
	}
	if _, err := c.OpenBytes(CookieName, sealed); err == nil {
		t.Fatal("a value sealed for one name opened as another")
	}
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	if _, err := c.OpenBytes("import", string(tampered)); err == nil {
		t.Fatal("a changed value opened")
	}
	other, _ := NewCodec(NewKey(), false, time.Hour)
	if _, err := other.OpenBytes("import", sealed); err == nil {
		t.Fatal("a value opened under another key")
	}
}
