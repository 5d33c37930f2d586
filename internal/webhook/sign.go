// Package webhook sends wiredesk's outbound notifications: story events to
// webhook subscribers, signed as Standard Webhooks specifies, and publish
// pings to a WebSub hub. It makes the requests and says what came of them;
// queueing and retries are the job runner's.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// secretPrefix marks a secret in the Standard Webhooks form: the prefix and
// the base64 of the key.
const secretPrefix = "whsec_"

// Bounds on a signing secret. Standard Webhooks keys are 24 to 64 bytes; a
// plain string secret must be at least as long as the shortest key.
const (
	minKeyBytes = 24
	maxKeyBytes = 64
)

// NewSecret returns a fresh random secret in the Standard Webhooks form:
// "whsec_" and the base64 of 32 random bytes.
func NewSecret() string {
	var key [32]byte
	_, _ = rand.Read(key[:]) // crypto/rand.Read never fails
	return secretPrefix + base64.StdEncoding.EncodeToString(key[:])
}

// CheckSecret says what is wrong with a secret, or returns nil: either
// "whsec_" and the base64 of a 24- to 64-byte key, or a plain string of at
// least 24 bytes, used as the key as it is.
func CheckSecret(secret string) error {
	if b64, ok := strings.CutPrefix(secret, secretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return errors.New("secret: the part after whsec_ is not base64")
		}
		if len(key) < minKeyBytes || len(key) > maxKeyBytes {
			return fmt.Errorf("secret: the key is %d bytes, want %d to %d", len(key), minKeyBytes, maxKeyBytes)
		}
		return nil
	}
	if len(secret) < minKeyBytes {
		return fmt.Errorf("secret: %d bytes is too short, want at least %d (or a whsec_ secret)", len(secret), minKeyBytes)
	}
	return nil
}

// signingKey is the HMAC key of a secret.
func signingKey(secret string) []byte {
	if b64, ok := strings.CutPrefix(secret, secretPrefix); ok {
		if key, err := base64.StdEncoding.DecodeString(b64); err == nil {
			return key
		}
	}
	return []byte(secret)
}

// Signature returns the value of the webhook-signature header for a
// message: "v1," and the base64 of the HMAC-SHA256, keyed by the secret,
// of "<msgID>.<timestamp>.<body>".
func Signature(secret, msgID string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, signingKey(secret))
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
