package temporalx

// Payload encryption (docs/operations.md, "Payload encryption"). Workflow and
// activity inputs and results, signal, update and query arguments, schedule
// arguments, memos, side-effect and heartbeat details and failures (with their
// messages and stack traces) go to Temporal as payloads, and Temporal keeps
// them in its histories for the namespace's retention. With a key ring
// configured (TEMPORAL_PAYLOAD_KEYS or TEMPORAL_PAYLOAD_KEYS_FILE), every
// client and worker built from Config encrypts them with AES-256-GCM under the
// ring's active key before they leave the process, and decrypts them with
// whichever key of the ring they name. Payloads that are not encrypted pass
// through, so histories written before encryption was turned on (and the
// recorded histories of the replay tests) still replay.
//
// What stays in clear: search attributes (CustomerId, OwnerId, Kind: ids, not
// names), workflow and run ids, workflow, activity, signal and update names,
// task queues, timers, and the header the tracing interceptor sets (trace ids).

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// EncodingEncrypted is the "encoding" metadata of an encrypted payload.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key of the ring that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the cipher ("AES-256-GCM").
	MetadataCipher = "encryption-cipher"
	cipherAESGCM   = "AES-256-GCM"
)

// KeyRing is the set of payload keys: the active one encrypts, every one
// decrypts (older keys stay in the ring after a rotation until no history
// that needs them is left).
type KeyRing struct {
	ids   []string // in configuration order; ids[0] is active
	aeads map[string]cipher.AEAD
}

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseKeyRing reads a key ring: entries "id:base64key" separated by commas
// or white space (newlines in a file); lines starting with # are comments.
// The first entry is the active key. Each key is 32 bytes (AES-256) in
// standard or URL-safe base64, padded or not (`openssl rand -base64 32`);
// ids are 1–64 characters of letters, digits, '.', '_' and '-', and unique.
// source names the variable or file in errors, which never contain key
// material.
func ParseKeyRing(source, spec string) (*KeyRing, error) {
	var entries []string
	for _, line := range strings.Split(spec, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		entries = append(entries, strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' })...)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s holds no key (want id:base64key[,id:base64key…], the first one active)", source)
	}
	k := &KeyRing{aeads: map[string]cipher.AEAD{}}
	for i, e := range entries {
		id, b64, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("%s: entry %d is not id:base64key", source, i+1)
		}
		if !keyIDPattern.MatchString(id) {
			return nil, fmt.Errorf("%s: entry %d: key id %q must be 1-64 characters of A-Z a-z 0-9 . _ -", source, i+1, truncate(id, 64))
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("%s: key id %q appears twice; every key needs its own id", source, id)
		}
		raw, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q is not base64", source, id)
		}
		if len(raw) != 32 {
			return nil, fmt.Errorf("%s: key %q is %d bytes, want 32 (AES-256; e.g. `openssl rand -base64 32`)", source, id, len(raw))
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %w", source, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q: %w", source, id, err)
		}
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	return k, nil
}

func decodeKey(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// LoadKeyRing reads the key ring of cfg: TEMPORAL_PAYLOAD_KEYS, or the file
// TEMPORAL_PAYLOAD_KEYS_FILE names (a mounted Secret). It returns nil and no
// error when neither is set: payloads are not encrypted.
func LoadKeyRing(cfg Config) (*KeyRing, error) {
	keys, file := strings.TrimSpace(cfg.PayloadKeys), strings.TrimSpace(cfg.PayloadKeysFile)
	switch {
	case keys != "" && file != "":
		return nil, errors.New("TEMPORAL_PAYLOAD_KEYS and TEMPORAL_PAYLOAD_KEYS_FILE are both set: set one")
	case keys != "":
		return ParseKeyRing("TEMPORAL_PAYLOAD_KEYS", keys)
	case file != "":
		raw, err := readFile("TEMPORAL_PAYLOAD_KEYS_FILE", file)
		if err != nil {
			return nil, err
		}
		return ParseKeyRing("TEMPORAL_PAYLOAD_KEYS_FILE "+file, string(raw))
	}
	return nil, nil
}

// ActiveKeyID is the id of the key that encrypts.
func (k *KeyRing) ActiveKeyID() string { return k.ids[0] }

// KeyIDs are the ids of every key, the active one first.
func (k *KeyRing) KeyIDs() []string { return append([]string(nil), k.ids...) }

// Codec returns the ring's payload codec.
func (k *KeyRing) Codec() converter.PayloadCodec { return &encryptionCodec{ring: k} }

// DataConverter returns the package's data converter (DataConverter)
// wrapped in the ring's codec.
func (k *KeyRing) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(DataConverter(), k.Codec())
}

// dataConverter is the SDK's default data converter, except that a proto
// payload in JSON (json/protobuf) with fields the message does not know
// decodes, ignoring them, instead of failing. During a rolling upgrade a
// process still on the older release receives payloads from newer ones
// (a workflow input, an activity input, a signal with a field added since):
// protobuf's own compatibility rule — an unknown field is skipped — is what
// lets the two releases work side by side; the SDK's default refuses them.
var dataConverter = converter.NewCompositeDataConverter(
	converter.NewNilPayloadConverter(),
	converter.NewByteSlicePayloadConverter(),
	converter.NewProtoJSONPayloadConverterWithOptions(converter.ProtoJSONPayloadConverterOptions{AllowUnknownFields: true}),
	converter.NewProtoPayloadConverter(),
	converter.NewJSONPayloadConverter(),
)

// DataConverter is the data converter of every client and worker (see
// dataConverter).
func DataConverter() converter.DataConverter { return dataConverter }

// FailureConverter returns a failure converter that encrypts failures whole:
// their details through dc, and their messages and stack traces too (moved
// into the failure's encoded attributes; the history shows "Encoded failure"
// until a codec server decodes it).
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}

// encryptionCodec is a converter.PayloadCodec: AES-256-GCM over the whole
// serialized payload (its metadata and data), a random 96-bit nonce in front
// of the ciphertext, and the key id as additional data.
type encryptionCodec struct{ ring *KeyRing }

func (c *encryptionCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.ring.ActiveKeyID()
	aead := c.ring.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(id),
				MetadataCipher:             []byte(cipherAESGCM),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

func (c *encryptionCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p // written before encryption was on, or by a client without keys
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		if alg := string(p.GetMetadata()[MetadataCipher]); alg != "" && alg != cipherAESGCM {
			return nil, fmt.Errorf("payload encrypted with cipher %q, want %s", alg, cipherAESGCM)
		}
		aead, ok := c.ring.aeads[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with key id %q, which is not in the key ring (%s): put that key back into TEMPORAL_PAYLOAD_KEYS to read it", id, strings.Join(c.ring.ids, ", "))
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("payload encrypted with key id %q is truncated (%d bytes)", id, len(data))
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("payload encrypted with key id %q does not authenticate: altered, or another key under that id", id)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("payload encrypted with key id %q: %w", id, err)
		}
		out[i] = &decoded
	}
	return out, nil
}
