package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's cost parameters (RFC 9106).
type HashParams struct {
	// MemoryKiB is the memory each hash takes, in KiB.
	MemoryKiB uint32
	// Time is the number of passes over that memory.
	Time uint32
	// Threads is the parallelism (lanes).
	Threads uint8
	// SaltLen and KeyLen are in bytes.
	SaltLen uint32
	KeyLen  uint32
}

// DefaultHashParams cost 64 MiB, two passes, two lanes: about 50-100 ms on
// one core of a small server (see BenchmarkHash), slow enough to make
// guessing offline expensive, quick enough for a sign-in. The memory is
// RFC 9106's second recommended option; Auth bounds how many hashes run at
// once so that a burst of sign-ins cannot take the machine's memory.
var DefaultHashParams = HashParams{MemoryKiB: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}

// MinPasswordLen is the shortest password accepted, in characters. Length
// beats composition rules (NIST SP 800-63B): a passphrase of a few words is
// long and easy to remember.
const MinPasswordLen = 12

// maxPasswordLen bounds the input of one hash.
const maxPasswordLen = 1024

// ErrBadHash: a stored hash is not an argon2id PHC string this package
// can read.
var ErrBadHash = errors.New("password hash is not an argon2id PHC string")

// CheckPassword says why a new password is refused, or nil.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case strings.TrimSpace(pw) == "":
		return errors.New("the password is empty")
	case n < MinPasswordLen:
		return fmt.Errorf("the password has %d characters; it needs at least %d (a few words make a good one)", n, MinPasswordLen)
	case len(pw) > maxPasswordLen:
		return fmt.Errorf("the password is longer than %d bytes", maxPasswordLen)
	}
	return nil
}

// Hash hashes pw with argon2id and a fresh random salt, in the PHC string
// format: $argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>, base64 without
// padding, so the parameters travel with the hash and can be raised later
// without invalidating stored ones.
func Hash(pw string, p HashParams) string {
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether pw matches the PHC string phc, comparing in
// constant time.
func Verify(phc, pw string) (bool, error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parsePHC reads $argon2id$v=19$m=M,t=T,p=P$salt$hash.
func parsePHC(phc string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: version %q", ErrBadHash, parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
	}
	// Bounds keep a tampered row from making one sign-in take the
	// machine's memory or time.
	if p.MemoryKiB < 8 || p.MemoryKiB > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", ErrBadHash)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrBadHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("%w: hash", ErrBadHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
