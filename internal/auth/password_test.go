package auth

import (
	"errors"
	"strings"
	"testing"
)

// cheap keeps the tests fast; the format and the checks do not depend on
// the cost.
var cheap = HashParams{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h := Hash("correct horse battery staple", cheap)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the parameters", h)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"", false},
		{"Correct horse battery staple", false},
	} {
		got, err := Verify(h, tc.pw)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Verify(%q) = %v, want %v", tc.pw, got, tc.want)
		}
	}
	if h2 := Hash("correct horse battery staple", cheap); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyRefusesBadHashes(t *testing.T) {
	good := Hash("correct horse battery staple", cheap)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":    strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":    strings.Replace(good, "m=64,", "m=4194304,", 1),
		"zero time":      strings.Replace(good, "t=1,", "t=0,", 1),
		"unknown param":  strings.Replace(good, "p=1", "p=1,x=2", 1),
		"bad salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"truncated hash": strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
	} {
		if _, err := Verify(h, "correct horse battery staple"); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: Verify error = %v, want ErrBadHash", name, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw      string
		wantErr string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"short", "needs at least 12"},
		{"elevenchars", "needs at least 12"},
		{"twelve chars", ""},
		{"ünïcödé-wörd", ""},
		{strings.Repeat("x", 1025), "longer than"},
	} {
		err := CheckPassword(tc.pw)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("CheckPassword(%q) = %v, want nil", tc.pw, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("CheckPassword(%q) = %v, want an error saying %q", tc.pw, err, tc.wantErr)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(Hash("correct horse battery staple", cheap), "pw")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "pw")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		// Untrusted stored hashes must never panic nor run with unbounded
		// cost; parameters are checked before hashing.
		p, _, _, err := parsePHC(phc)
		if err != nil {
			return
		}
		if p.MemoryKiB > 1<<16 || p.Time > 2 {
			return // valid but too slow for a fuzz loop
		}
		_, _ = Verify(phc, pw)
	})
}

// BenchmarkHash measures DefaultHashParams: the cost of one sign-in.
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		Hash("correct horse battery staple", DefaultHashParams)
	}
}
