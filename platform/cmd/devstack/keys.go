package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// sessionKey is the web console's session key, kept in data/web-session-key
// (mode 0600) so that sessions survive a restart of `make run`: read when the
// file exists, else 32 random bytes, base64, written once.
func sessionKey(data string) (string, error) {
	return keyFile(data, "web-session-key", "web session key")
}

// devKeys are the stack's secrets, each kept in data (keyFile).
type devKeys struct{ webSession, unsubscribe, salesClient string }

// readKeys reads (or writes, the first time) the stack's secrets: the web
// console's session key, the key that signs campaign emails' unsubscribe
// links (data/unsubscribe-key) and the secret of the sales service's own
// client at the dev issuer (data/sales-client-secret).
func readKeys(data string) (devKeys, error) {
	web, err := sessionKey(data)
	if err != nil {
		return devKeys{}, err
	}
	unsub, err := keyFile(data, "unsubscribe-key", "unsubscribe key")
	if err != nil {
		return devKeys{}, err
	}
	sales, err := keyFile(data, "sales-client-secret", "sales service's client secret")
	return devKeys{webSession: web, unsubscribe: unsub, salesClient: sales}, err
}

// keyFile is the base64 of 32 random bytes kept in data/name (mode 0600):
// written the first time, read after, so it survives a restart.
func keyFile(data, name, what string) (string, error) {
	path := filepath.Join(data, name)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		key := base64.StdEncoding.EncodeToString(b)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		if _, err := f.WriteString(key + "\n"); err != nil {
			f.Close()
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return key, f.Close()
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	key := strings.TrimSpace(string(raw))
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 32 {
		return "", fmt.Errorf("%s: %s is not the base64 of 32 bytes; delete it and `make run` writes a new one", what, path)
	}
	return key, nil
}
