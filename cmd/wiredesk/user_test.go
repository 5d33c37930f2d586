package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestUserCommand(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"migrate", "--data", data}, nil, &out, &errOut, envFunc(nil)); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut.String())
	}
	for _, tc := range []struct {
		name    string
		args    []string
		stdin   string
		wantOut string
		wantErr string
	}{
		{"add", []string{"add", "ann", "--role", "editor"}, "correct horse battery staple\n", "account ann added with role editor", ""},
		{"add, flags first", []string{"add", "--role", "viewer", "ben"}, "another long passphrase\r\n", "account ben added with role viewer", ""},
		{"add taken name", []string{"add", "ann", "--role", "admin"}, "correct horse battery staple\n", "", "exists already"},
		{"add empty password", []string{"add", "cat", "--role", "viewer"}, "\n", "", "the password is empty"},
		{"add no input", []string{"add", "cat", "--role", "viewer"}, "", "", "the password is empty"},
		{"add short password", []string{"add", "cat", "--role", "viewer"}, "hunter2\n", "", "needs at least 12"},
		{"add without role", []string{"add", "cat"}, "correct horse battery staple\n", "", "needs --role"},
		{"add bad name", []string{"add", "c/at", "--role", "viewer"}, "correct horse battery staple\n", "", "only letters"},
		{"list", []string{"list"}, "", "ann   editor", ""},
		{"passwd", []string{"passwd", "ann"}, "a new long passphrase\n", "password of ann changed", ""},
		{"passwd short", []string{"passwd", "ann"}, "short\n", "", "needs at least 12"},
		{"role", []string{"role", "ben", "--role", "admin"}, "", "account ben now has role admin", ""},
		{"remove", []string{"remove", "ben"}, "", "account ben removed", ""},
		{"remove again", []string{"remove", "ben"}, "", "", "not found"},
		{"list after", []string{"list"}, "", "ann", ""},
	} {
		out.Reset()
		errOut.Reset()
		args := append([]string{"user"}, tc.args...)
		args = append(args, "--data", data)
		err := run(ctx, args, strings.NewReader(tc.stdin), &out, &errOut, envFunc(nil))
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v\n%s", tc.name, err, errOut.String())
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.wantErr)
		case !strings.Contains(out.String(), tc.wantOut):
			t.Errorf("%s: printed %q, want %q", tc.name, out.String(), tc.wantOut)
		}
		if strings.Contains(out.String()+errOut.String(), "passphrase") {
			t.Errorf("%s: the password was echoed", tc.name)
		}
	}
	if strings.Contains(out.String(), "ben") {
		t.Errorf("list after remove still shows ben:\n%s", out.String())
	}
}
