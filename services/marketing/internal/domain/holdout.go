package domain

import (
	"crypto/sha256"
	"encoding/binary"
)

// InHoldout reports whether the customer is in the campaign's holdout — the
// control group kept out of the campaign so that its effect can be measured
// (evaluation.go). share is the campaign's Holdout (0..MaxHoldout).
//
// It is deterministic, so a customer's group is the same on every run, in
// every process and after every restart, without being stored first: the
// first 8 bytes of sha256(campaignID + "\x00" + customerID), read as a
// big-endian uint64 and divided by 2^64, fall below share. Hashing the
// campaign in makes each campaign hold out a different sample of customers,
// so no customer is always the one left out. A share of 0 holds nobody.
func InHoldout(campaignID, customerID string, share float64) bool {
	if !(share > 0) {
		return false
	}
	sum := sha256.Sum256([]byte(campaignID + "\x00" + customerID))
	return float64(binary.BigEndian.Uint64(sum[:8]))/0x1p64 < share
}
